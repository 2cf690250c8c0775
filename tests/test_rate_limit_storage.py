"""Rate limits count exactly however many gunicorn workers serve (docs/deploy.md, "Rate-limit
storage"): memory:// is served by one process and refuses more, with Redis two workers
refuse at the documented limit wherever the requests land, and an unreachable Redis makes
each process count on its own instead of failing requests."""

import os
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Report
from tests.helpers import csrf_token, seed, send_report, text_of
from tests.support.postgres import free_port
from tests.support.redis import RedisServer
from tests.support.reporter import CSRF, RECEIPT, Reporter
from tests.support.server import ServedApp, app_environment

OFFICER = "officer1.utena@demo.example.org"
LIMIT = 3  # sign-in attempts per account, set low through STAFF_LOGIN_RATE_LIMIT
SETTINGS = ("RATELIMIT_STORAGE_URI", "WEB_CONCURRENCY", "SKAIDRA_THREADS", "GUNICORN_CMD_ARGS")


@pytest.fixture(scope="session")
def redis_server():
    """One throwaway Redis for the session, removed at the end."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def database(tmp_path_factory, demo_database) -> str:
    """A SQLite database migrated and seeded through the CLI, shared by this module's
    servers (the counters under test live in the rate-limit store, not here)."""
    folder = tmp_path_factory.mktemp("rate-limit-storage")
    shutil.copyfile(demo_database, folder / "skaidra.sqlite3")
    return f"sqlite:///{folder / 'skaidra.sqlite3'}"


@contextmanager
def gunicorn(database: str, tmp_path: Path, **settings: str):
    """The shipped gunicorn configuration with only the given settings of SETTINGS (as
    an operator's environment file would have them); stopped at the end."""
    env = app_environment(database, STAFF_LOGIN_RATE_LIMIT=f"{LIMIT} per hour")
    server = ServedApp(env, tmp_path / "gunicorn.log")
    for name in SETTINGS:
        server.env.pop(name, None)
    server.env.update(settings)
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    """The processes whose parent is pid (gunicorn's workers, for its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def workers(server: ServedApp, expected: int) -> list[int]:
    """The worker pids once `expected` are running, after a second of settling (gunicorn
    forks all its workers at start and after a change); fails when the count differs."""
    deadline = time.monotonic() + 30
    while len(children(server.process.pid)) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    running = children(server.process.pid)
    assert len(running) == expected, (running, server.log())
    return running


@contextmanager
def only(worker: int, everyone: list[int]):
    """Let only one worker take connections: the others are paused (SIGSTOP) meanwhile."""
    paused = [pid for pid in everyone if pid != worker]
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)


def wrong_password(server: ServedApp) -> int:
    """A wrong password for the officer's address from a new browser; the status code."""
    browser = Reporter(server.base_url)
    _status, page = browser.request("/staff/login?lang=en")
    status, _page = browser.post("/staff/login?lang=en", {
        "csrf_token": CSRF.search(page).group(1), "email": OFFICER,
        "password": "not the password"})
    return status


def test_shipped_config_with_memory_storage_serves_from_one_process_and_counts_exactly(
        database, tmp_path):
    with gunicorn(database, tmp_path) as server:
        server.start()
        workers(server, 1)
        statuses = [wrong_password(server) for _ in range(LIMIT + 2)]
    assert statuses == [200] * LIMIT + [429, 429]


@pytest.mark.parametrize("settings", [{"WEB_CONCURRENCY": "2"},
                                      {"GUNICORN_CMD_ARGS": "--workers 3"},
                                      {"RATELIMIT_STORAGE_URI": "memory://",
                                       "WEB_CONCURRENCY": "4"}],
                         ids=["environment", "command-line", "explicit-memory"])
def test_memory_storage_with_several_workers_refuses_to_start(database, tmp_path, settings):
    with gunicorn(database, tmp_path, **settings) as server:
        with pytest.raises(RuntimeError, match="gunicorn exited"):
            server.start()
        log = server.log()
    assert "RATELIMIT_STORAGE_URI is memory://" in log
    assert "redis://" in log and "WEB_CONCURRENCY=1" in log
    assert server.process.returncode != 0


def test_adding_a_worker_at_run_time_is_undone_while_counts_are_per_process(database,
                                                                            tmp_path):
    with gunicorn(database, tmp_path) as server:
        server.start()
        [first] = workers(server, 1)
        server.process.send_signal(signal.SIGTTIN)
        assert workers(server, 1) == [first]
        assert "RATELIMIT_STORAGE_URI is memory://" in server.log()


def test_two_workers_sharing_redis_refuse_exactly_at_the_limit_wherever_requests_land(
        database, tmp_path, redis_server):
    redis_server.client().flushdb()
    with gunicorn(database, tmp_path, RATELIMIT_STORAGE_URI=redis_server.url) as server:
        server.start()
        first, second = everyone = workers(server, 2)
        with only(first, everyone):
            statuses = [wrong_password(server) for _ in range(LIMIT - 1)]
        with only(second, everyone):
            statuses += [wrong_password(server) for _ in range(2)]
        with only(first, everyone):
            statuses.append(wrong_password(server))
    assert statuses == [200] * LIMIT + [429, 429]
    # The counter is in Redis, under a key that names no address.
    keys = [key.decode() for key in redis_server.client().keys("*")]
    assert keys and all(OFFICER not in key for key in keys)


def test_an_unreachable_rate_limit_store_falls_back_to_counting_in_the_process(make_app):
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(RATELIMIT_STORAGE_URI=nothing_listens,
                   STAFF_LOGIN_RATE_LIMIT=f"{LIMIT} per hour")
    statuses = []
    for _ in range(LIMIT + 2):
        client = app.test_client()
        data = {"csrf_token": csrf_token(client, "/staff/login"), "email": OFFICER,
                "password": "not the password"}
        with client.post("/staff/login?lang=en", data=data) as response:
            statuses.append(response.status_code)
    assert statuses == [200] * LIMIT + [429, 429]


def test_a_report_is_accepted_unmarked_while_the_rate_limit_store_is_unreachable(make_app):
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    seed(app)  # copies a template: builds no second app, so the limiter keeps this store

    with send_report(app.test_client()) as response:
        assert response.status_code == 200
        assert RECEIPT.search(text_of(response))
    with app.app_context():
        assert db.session.scalars(select(Report.possible_flood)).all() == [False]
