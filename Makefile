# Skaidra: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := SKAIDRA_CONFIG=development
SYSTEM_PACKAGES := postgresql chromium redis-server

.PHONY: run test lint translations compile-translations bench install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

compile-translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

## Extract messages from the code, merge them into the catalogues, compile.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-wrap --sort-by-file \
	    --project Skaidra --copyright-holder "Skaidra contributors" \
	    -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap \
	    --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d translations

run: compile-translations
	$(DEV_ENV) $(BIN)/flask --app wsgi db upgrade
	@$(DEV_ENV) $(BIN)/flask --app wsgi seed-demo --with-reports
	@echo
	@echo "Skaidra is starting at the address above (Ctrl+C stops it)."
	$(DEV_ENV) $(BIN)/gunicorn -c python:app.gunicorn_conf wsgi:app

## Debian packages the suite drives for real; installed when missing and we may.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	  else echo "make test needs the Debian packages$$missing: install them with 'sudo apt-get install$$missing'."; exit 1; fi; \
	  echo "Installing$$missing with apt-get ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing > /dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .

## Both cores (pytest-xdist); the 25 slowest tests are listed at the end.
test: system-deps compile-translations lint
	$(BIN)/python -m pytest -q -n auto --durations=25

bench: compile-translations
	@for script in bench/*.py; do [ "$$script" = bench/common.py ] && continue; \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance tests/output .pytest_cache .ruff_cache
	find translations -name '*.mo' -delete
