"""What the benchmarks share: the database configuration, a throwaway PostgreSQL, timing a
page, and the machine's load (printed beside the figures)."""

import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import TestConfig
from tests.support.postgres import PostgresCluster


def bound_config(database_url: str) -> type[TestConfig]:
    """TestConfig (cheap key derivation, demo allowed) on one database."""
    return type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})


@contextmanager
def throwaway_postgres() -> Iterator[PostgresCluster | None]:
    """A PostgreSQL cluster on loopback for the block, removed afterwards; None (with a note)
    when PostgreSQL is not installed."""
    cluster = PostgresCluster()
    try:
        cluster.start()
    except RuntimeError as error:  # raised when initdb or pg_ctl cannot be found
        shutil.rmtree(cluster.root, ignore_errors=True)
        print(f"PostgreSQL SKIPPED: {error}", flush=True)
        yield None
        return
    try:
        yield cluster
    finally:
        cluster.stop()


def fetch(client, url: str, expected: str = "") -> float:
    """Milliseconds one GET took; an error unless it answered 200 (showing ``expected``)."""
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    if expected and expected not in response.get_data(as_text=True):
        raise RuntimeError(f"{url} does not show {expected!r}")
    return elapsed


def load_average() -> str:
    """The machine's load over 1, 5 and 15 minutes: shared machines skew the timings."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
