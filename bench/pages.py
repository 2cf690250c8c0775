"""Server time of the public pages on the seeded demo network (SQLite, in process).

Prints p50 / p95 per page in milliseconds. Run with `make bench`.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.extensions import db
from app.services.demo.network import seed_demo_network
from config import TestConfig

ROUNDS = 300
PAGES = ("/?lang=lt", "/?lang=en", "/i/birzai/?lang=nb", "/staff/login", "/healthz")


def main() -> None:
    """Seed a temporary database, then time each page ROUNDS times."""
    with tempfile.TemporaryDirectory() as folder:
        config = type("BenchConfig", (TestConfig,),
                      {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
        app = create_app(config)
        with app.app_context():
            db.create_all()
            seed_demo_network()
            db.session.remove()
        client = app.test_client()
        print(f"{'page':<24} {'p50 ms':>8} {'p95 ms':>8}   ({ROUNDS} requests each)")
        for url in PAGES:
            client.get(url)  # warm-up: template compilation
            samples = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, url
            samples.sort()
            p95 = samples[int(len(samples) * 0.95) - 1]
            print(f"{url:<24} {statistics.median(samples):>8.2f} {p95:>8.2f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
