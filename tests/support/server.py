"""Skaidra served by real gunicorn with the shipped configuration, on 127.0.0.1."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """Environment of a development-mode instance with cheap key derivation."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("SKAIDRA_", "KDF_", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(
        SKAIDRA_CONFIG="development",
        SECRET_KEY="served-test-secret-key-0123456789abcdef",
        DATABASE_URL=database_url,
        KDF_MEMORY_KIB="8",
        KDF_ITERATIONS="1",
        KDF_LANES="1",
    )
    env.update(extra)
    return env


def flask_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ...` as an operator would."""
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=REPO, env=env, check=True, capture_output=True, text=True, timeout=300,
    )


class ServedApp:
    """A gunicorn process; its error log is kept in a file for inspection."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = dict(env, SKAIDRA_BIND=f"127.0.0.1:{self.port}", WEB_CONCURRENCY="1")
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServedApp":
        """Start gunicorn and wait until /healthz answers."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "python:app.gunicorn_conf", "wsgi:app"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        """Stop gunicorn gracefully."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return self.log_path.read_text(errors="replace")


def seed_demo_database(folder: Path) -> Path:
    """A SQLite database migrated and seeded with the demo network through the CLI, as an
    operator's `make run` does; servers start on copies of it (:func:`demo_server`)."""
    path = folder / "skaidra.sqlite3"
    env = app_environment(f"sqlite:///{path}")
    flask_command(env, "db", "upgrade")
    flask_command(env, "seed-demo")
    return path


@contextmanager
def demo_server(template: Path, folder: Path, **extra: str) -> Iterator[ServedApp]:
    """Gunicorn on a fresh copy of the seeded demo database in ``folder``, stopped at the
    end: each server has its own accounts (two-factor enrolled by none) and reports."""
    database = folder / "skaidra.sqlite3"
    shutil.copyfile(template, database)
    server = ServedApp(app_environment(f"sqlite:///{database}", **extra),
                       folder / "gunicorn.log").start()
    try:
        yield server
    finally:
        server.stop()
