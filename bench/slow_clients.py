"""Slow uploads over Tor must not close the channel: 200 reporters each sending a 5 MB file at
20 KB/s against the shipped gunicorn configuration, while a reporter sends ordinary reports
and a visitor keeps opening an institution's page.

Starts gunicorn on 127.0.0.1 exactly as shipped (app/gunicorn_conf.py: with the memory://
rate-limit store one worker; production Argon2id cost), on SQLite, or on a throwaway
PostgreSQL with BENCH_DATABASE=postgresql. The uploaders arrive over 20 s. Prints the page's
p50/p95, the ordinary reporter's end-to-end time (told "busy", it sends again after
Retry-After, as the page asks), errors, the peak resident memory of gunicorn's processes, and
whether every report that showed a receipt is in the database. Target: page p95 under 1 s,
no errors, no lost report. BENCH_SLOW_CLIENTS, BENCH_SLOW_MB and BENCH_SLOW_KBPS change the
load. Prints figures and asserts no timing. Run with `make bench`.
"""

import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_average, throwaway_postgres
from bench.submit import PRODUCTION_KDF, RECEIPT, Reporter, demo_slugs, found
from tests.support.server import ServedApp, app_environment, flask_command

SLOW_CLIENTS = int(os.environ.get("BENCH_SLOW_CLIENTS", "200"))
FILE_BYTES = int(float(os.environ.get("BENCH_SLOW_MB", "5")) * 1024 * 1024)
RATE = int(os.environ.get("BENCH_SLOW_KBPS", "20")) * 1024  # bytes per second per client
CHUNK = 2048
PAGE_EVERY = 0.5  # seconds between two page views
PAGE_TIMEOUT = 10
REPORT_EVERY = 10  # seconds between two ordinary reports
TARGET_P95 = 1.0
STAGGER = 20.0


def rss_kib(root: int) -> int:
    """Resident memory of a process and its children (gunicorn's master and workers)."""
    total, children = 0, {root}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == root:
                    children.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


class SlowUpload(threading.Thread):
    """One reporter over Tor: the form and check page at once, then the send with a file,
    trickled at RATE bytes per second over a raw socket."""

    def __init__(self, served: ServedApp, slug: str, payload: bytes) -> None:
        super().__init__(daemon=True)
        self.served, self.slug, self.payload = served, slug, payload
        self.outcome = ""
        self.seconds = 0.0

    def run(self) -> None:
        try:
            self.outcome = self._send()
        except (OSError, RuntimeError) as error:
            self.outcome = f"{type(error).__name__}: {error}"

    def _send(self) -> str:
        reporter = Reporter(self.served.base_url)
        fields = reporter.check_page_fields(self.slug)
        cookie = "; ".join(f"{c.name}={c.value}" for c in reporter.cookies)
        boundary = os.urandom(12).hex()
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode() for name, value in fields.items())
        head += (f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                 f'filename="evidence.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + len(self.payload) + len(tail)
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.served.port), timeout=120) as conn:
            conn.sendall(
                (f"POST /i/{self.slug}/report/send?lang=en HTTP/1.1\r\n"
                 f"Host: 127.0.0.1:{self.served.port}\r\nCookie: {cookie}\r\n"
                 f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                 f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode())
            conn.sendall(head)
            view = memoryview(self.payload)
            for offset in range(0, len(view), CHUNK):
                conn.sendall(view[offset:offset + CHUNK])
                time.sleep(CHUNK / RATE)
            conn.sendall(tail)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        self.seconds = time.perf_counter() - start
        status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "?"
        if status != "200":
            return f"HTTP {status}"
        found(RECEIPT, answer.decode("utf-8", "replace"), "receipt page")
        return "ok"


class Sampler(threading.Thread):
    """Something done again and again until stopped: page views, reports, memory."""

    def __init__(self, every: float, action) -> None:
        super().__init__(daemon=True)
        self.every, self.action = every, action
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.action()
            self.stopped.wait(self.every)


def main() -> None:
    slugs = demo_slugs()
    backend = os.environ.get("BENCH_DATABASE", "sqlite")
    print(f"Slow uploads: {SLOW_CLIENTS} reporters × {FILE_BYTES / 1024 / 1024:.0f} MB at "
          f"{RATE // 1024} KB/s, shipped gunicorn configuration, {backend}, "
          f"{os.cpu_count()} CPUs, load {load_average()}", flush=True)
    with tempfile.TemporaryDirectory() as folder, throwaway_postgres() as cluster:
        if backend == "postgresql":
            if cluster is None:
                raise SystemExit(1)
            url = cluster.url(cluster.create_database())
        else:
            url = f"sqlite:///{folder}/bench.sqlite3"
        env = app_environment(url, REPORT_RATE_LIMIT="100000 per hour")
        flask_command(env, "db", "upgrade")
        flask_command(env, "seed-demo")
        served = ServedApp(dict(env, **PRODUCTION_KDF), Path(folder) / "gunicorn.log")
        served.env.pop("WEB_CONCURRENCY")  # as shipped
        served.start()
        try:
            results = measure(served, slugs)
        finally:
            served.stop()
        stored = count_reports(url, cluster)
    report(results, stored)


def measure(served: ServedApp, slugs: list[str]) -> dict:
    payload = os.urandom(FILE_BYTES)
    pages: list[float] = []
    page_errors: list[str] = []
    sends: list[float] = []
    send_errors: list[str] = []
    busy: list[int] = []
    peak = [rss_kib(served.process.pid)]

    def view_page() -> None:
        start = time.perf_counter()
        try:
            # Always the loopback URL of the gunicorn started here.
            with urllib.request.urlopen(f"{served.base_url}/i/{slugs[0]}?lang=en",  # noqa: S310
                                        timeout=PAGE_TIMEOUT) as reply:
                reply.read()
            pages.append(time.perf_counter() - start)
        except OSError as error:
            page_errors.append(f"{type(error).__name__}: {error}")

    def send_one() -> None:
        """As a reporter would: told "busy", wait as the page asks and send again."""
        start = time.perf_counter()
        for _attempt in range(5):
            try:
                Reporter(served.base_url).send_report(slugs[1])
                sends.append(time.perf_counter() - start)
                return
            except urllib.error.HTTPError as error:
                if error.code != 503:
                    send_errors.append(f"HTTP {error.code}")
                    return
                busy.append(1)
                time.sleep(int(error.headers.get("Retry-After", "10")))
            except (OSError, RuntimeError) as error:
                send_errors.append(f"{type(error).__name__}: {error}")
                return
        send_errors.append("busy five times")

    uploads = [SlowUpload(served, slugs[2 + n % (len(slugs) - 2)], payload)
               for n in range(SLOW_CLIENTS)]
    samplers = [Sampler(PAGE_EVERY, view_page), Sampler(REPORT_EVERY, send_one),
                Sampler(0.5, lambda: peak.append(rss_kib(served.process.pid)))]
    start = time.perf_counter()
    for upload in uploads:  # reporters arrive over STAGGER seconds, not at one instant
        upload.start()
        time.sleep(STAGGER / len(uploads))
    for sampler in samplers:
        sampler.start()
    for upload in uploads:
        upload.join()
    for sampler in samplers:
        sampler.stopped.set()
        sampler.join()
    return {"pages": pages, "page_errors": page_errors, "sends": sends,
            "send_errors": send_errors, "busy": len(busy), "uploads": uploads,
            "peak_kib": max(peak), "wall": time.perf_counter() - start}


def count_reports(url: str, cluster) -> int:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute("SELECT count(*) FROM report").fetchone()[0]
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        return connection.execute("SELECT count(*) FROM report").fetchone()[0]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def report(results: dict, stored: int) -> None:
    uploads = results["uploads"]
    ok = [u for u in uploads if u.outcome == "ok"]
    failed = [u.outcome for u in uploads if u.outcome != "ok"]
    pages, sends = results["pages"], results["sends"]
    print(f"\nwall time {results['wall']:.0f} s; slow uploads {len(ok)}/{len(uploads)} stored, "
          f"median {statistics.median([u.seconds for u in ok]) if ok else 0:.0f} s each")
    if pages:
        p95 = percentile(pages, 0.95)
        print(f"institution page: {len(pages)} views, p50 {statistics.median(pages) * 1000:.0f}"
              f" ms, p95 {p95 * 1000:.0f} ms, max {max(pages) * 1000:.0f} ms, "
              f"{len(results['page_errors'])} errors")
    if sends:
        print(f"ordinary reporter: {len(sends)} reports, end to end p50 "
              f"{statistics.median(sends):.2f} s, max {max(sends):.2f} s, "
              f"{results['busy']} answered busy and sent again, "
              f"{len(results['send_errors'])} errors")
    print(f"peak resident memory of gunicorn: {results['peak_kib'] / 1024:.0f} MiB")
    expected = len(ok) + len(sends)
    print(f"reports in the database: {stored} (receipts shown: {expected}) -> "
          f"{'none lost' if stored >= expected else 'LOST'}")
    errors = failed + results["page_errors"] + results["send_errors"]
    verdict = ("met" if pages and percentile(pages, 0.95) < TARGET_P95 and not errors
               and stored >= expected else "NOT met")
    print(f"target (page p95 < {TARGET_P95:.0f} s, no errors, no lost report): {verdict}")
    for error in errors[:5]:
        print(f"  error: {error}")
    if errors or stored < expected:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
