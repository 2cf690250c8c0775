"""The layers of docs/architecture.md, kept by reading every module's imports.

- The domain (``app/services``), the models and the crypto know nothing of HTTP: no
  request-bound Flask names, no blueprint, nothing of the web layer.
- A blueprint package uses no other blueprint's modules: what they share is in ``app/web``.
- The web layer uses no blueprint.
- No module under ``app/`` grows past ~400 lines without saying why in its docstring.
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
BLUEPRINTS = ("admin", "assessment", "core", "insights", "public", "staff")
REQUEST_BOUND = {"request", "session", "g", "url_for", "redirect", "abort", "flash",
                 "make_response", "render_template_string"}
WEB = ("app.web", "app.security", "app.i18n", "app.templating", "app.errors",
       *(f"app.{name}" for name in BLUEPRINTS))
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module and ``module.name`` a file imports, absolute."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules_under(*parts: str) -> list[Path]:
    return sorted(APP.joinpath(*parts).rglob("*.py"))


def within(name: str, packages) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


@pytest.mark.parametrize("layer", ["services", "models", "crypto"])
def test_the_domain_knows_nothing_of_http(layer):
    problems = []
    for path in modules_under(layer):
        for name in imports_of(path):
            flask_name = name.removeprefix("flask.")
            if (name.startswith("flask.") and flask_name in REQUEST_BOUND) or within(name, WEB):
                problems.append(f"{module_name(path)} imports {name}")
    assert problems == []


def test_no_blueprint_uses_another_blueprints_modules():
    problems = []
    for blueprint in BLUEPRINTS:
        others = [f"app.{other}" for other in BLUEPRINTS if other != blueprint]
        for path in modules_under(blueprint):
            problems += [f"{module_name(path)} imports {name}" for name in imports_of(path)
                         if within(name, others)]
    assert problems == []


def test_the_web_layer_uses_no_blueprint():
    blueprints = [f"app.{name}" for name in BLUEPRINTS]
    problems = [f"{module_name(path)} imports {name}" for path in modules_under("web")
                for name in imports_of(path) if within(name, blueprints)]
    assert problems == []


def test_the_rules_see_what_they_check():
    # A rule that reads no files, or misses an import, would pass whatever the code does.
    assert "app.services.casefile.attachments.Upload" in imports_of(APP / "web" / "forms.py")
    assert "flask.request" in imports_of(APP / "i18n.py")
    assert len(modules_under("services")) > 30


def test_no_module_is_long_without_a_stated_reason():
    long = []
    for path in modules_under():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and "Why this module is long" not in text:
            long.append(f"{module_name(path)}: {text.count(chr(10))} lines")
    assert long == []
