"""Sending a report through real gunicorn at the production key-derivation cost.

Starts gunicorn on 127.0.0.1 with the production Argon2id cost (64 MiB, 3 passes, 4 lanes),
sends reports through the public form with 1 and with 8 concurrent clients and prints the
latency of the final send (the request that derives the receipt keys and seals the report),
reports per second, and the share the deliberate cost takes: one Argon2id run and three HPKE
seals, timed in this process (the Argon2id run right after each single-client send, so both
see the same machine load). Target: everything else adds under 25 % to that cost.

Then a burst: BURST_CLIENTS reporters sending one report after another for BURST_SECONDS,
while a load balancer probes /healthz and a visitor opens an institution's page. Prints the
probe's and the page's p50/p95, reports per second, and how many sends were answered
"busy" (503, text kept; the reporter sends again after Retry-After, as the page asks) rather
than waiting behind the line of key derivations. Target: /healthz and page p95 under 1 s, no
failed request, no lost report.
Prints figures and asserts no timing. Run with `make bench`.
"""

import http.cookiejar
import json
import os
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.crypto.envelope import new_data_key, seal
from app.crypto.kdf import KdfCost, derive_key, new_salt
from app.crypto.receipts import RECEIPT_PURPOSE, new_receipt
from app.crypto.staff_keys import key_pair_from_seed
from tests.support.server import ServedApp, app_environment, flask_command

REPO = Path(__file__).resolve().parents[1]
PRODUCTION_COST = KdfCost(memory_kib=65536, iterations=3, lanes=4)
PRODUCTION_KDF = {"KDF_MEMORY_KIB": "65536", "KDF_ITERATIONS": "3", "KDF_LANES": "4"}
# Demo institutions have two officers and a recovery key: three seals per report.
READERS = 3
TARGET = 0.25

SEQUENTIAL = 20
CLIENTS = 8
CONCURRENT = 64
WARM_UP = 16
ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_ROUNDS = 3
SEAL_ROUNDS = 30
MIN_FOR_P95 = 10
# A send that takes longer than this counts as failed instead of stalling the benchmark.
REQUEST_TIMEOUT = 60
BURST_CLIENTS = int(os.environ.get("BENCH_BURST_CLIENTS", "50"))
BURST_SECONDS = float(os.environ.get("BENCH_BURST_SECONDS", "60"))
PROBE_EVERY = 0.25
PROBE_TIMEOUT = 10

# The shipped layout with the embedded memory:// rate-limit store (app/gunicorn_conf.py):
# 1 worker; several workers need a shared store (RATELIMIT_STORAGE_URI=redis://). Argon2id
# runs one at a time per process (app/crypto/kdf.py says why); BENCH_WORKERS /
# BENCH_THREADS try other layouts than the shipped one.
WORKERS = os.environ.get("BENCH_WORKERS", "")
THREADS = os.environ.get("BENCH_THREADS", "")

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')
RECEIPT = re.compile(r'class="receipt"><strong>(\d{4}(?: \d{4})+)</strong>')
ERROR = re.compile(r'class="[^"]*error[^"]*"[^>]*>([^<]{1,200})<')


class Reporter:
    """One browser: its own cookie jar, hence its own session and CSRF secret."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies))

    def fetch(self, path: str, body: bytes | None = None, content_type: str = "") -> str:
        """The page at ``path`` (POSTed when there is a body)."""
        # Always the loopback URL of the gunicorn started below.
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310
        if content_type:
            request.add_header("Content-Type", content_type)
        with self.opener.open(request, timeout=REQUEST_TIMEOUT) as reply:
            return reply.read().decode("utf-8")

    def send_report(self, slug: str, attachment: bytes | None = None) -> float:
        """Fill in, check and send one report; the seconds the final send took."""
        fields = self.check_page_fields(slug)
        body, content_type = multipart(fields, attachment)
        start = time.perf_counter()
        page = self.fetch(f"/i/{slug}/report/send?lang=en", body, content_type)
        elapsed = time.perf_counter() - start
        found(RECEIPT, page, "receipt page")
        return elapsed

    def check_page_fields(self, slug: str) -> dict[str, str]:
        """Fill in the form and pass the check page; the fields the send posts."""
        form_path = f"/i/{slug}/report?lang=en"
        fields = {
            "csrf_token": found(CSRF, self.fetch(form_path), "report form"),
            "category": "bribery",
            "what_happened": "The head of procurement accepted a payment from a supplier. "
                             * 8,
            "reported_elsewhere": "no",
            "urgency": "normal",
            "identity_choice": "anonymous",
        }
        review = self.fetch(form_path, urllib.parse.urlencode(fields).encode(),
                            "application/x-www-form-urlencoded")
        fields["submission_token"] = found(SUBMISSION, review, "check page")
        return fields


def found(pattern: re.Pattern, page: str, where: str) -> str:
    """The first group of ``pattern`` in ``page``; a readable error when it is missing."""
    match = pattern.search(page)
    if match is None:
        problem = ERROR.search(page)
        detail = f": {problem.group(1).strip()}" if problem else ""
        raise RuntimeError(f"no match on the {where}{detail}")
    return match.group(1)


def multipart(fields: dict[str, str], attachment: bytes | None) -> tuple[bytes, str]:
    """A browser's multipart body: the fields, then the file input (empty when no file)."""
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields.items()]
    filename = "evidence.bin" if attachment else ""
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + (attachment or b"") + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def seconds(action) -> float:
    """Wall time of one call of ``action``."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def argon2_seconds() -> float:
    """One receipt derivation at the production cost, in this process."""
    return seconds(
        lambda: derive_key(new_receipt(), new_salt(), PRODUCTION_COST, RECEIPT_PURPOSE))


def seal_seconds() -> float:
    """Median time of sealing a fresh data key to READERS public keys, in this process."""
    public_keys = [key_pair_from_seed(os.urandom(96))[1] for _ in range(READERS)]

    def seal_all() -> None:
        data_key = new_data_key()
        for number, public_key in enumerate(public_keys):
            seal(data_key, public_key, "R-BENCH", "officer", str(number))

    seal_all()
    return statistics.median(seconds(seal_all) for _ in range(SEAL_ROUNDS))


class Phase:
    """Sends of one load level: latencies, failures and wall time."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.wall = 0.0
        # Seconds of the in-process Argon2id runs between sends (single client only).
        self.argon2: list[float] = []

    def run(self, base_url: str, slugs: list[str], count: int, clients: int,
            attachment: bytes | None = None, *, reference: bool = False) -> "Phase":
        """``count`` reports from ``clients`` concurrent fresh browsers, over the slugs.

        :param reference: after each send, time one Argon2id run here (for clients=1).
        """

        def one(number: int) -> None:
            try:
                self.latencies.append(
                    Reporter(base_url).send_report(slugs[number % len(slugs)], attachment))
            except (OSError, RuntimeError) as error:  # URLError and timeouts are OSErrors
                self.failures.append(f"{type(error).__name__}: {error}")
            if reference:
                self.argon2.append(argon2_seconds())

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(one, range(count)))
        self.wall = time.perf_counter() - start - sum(self.argon2)
        return self

    def row(self) -> str:
        """One line of the results table."""
        sent = len(self.latencies)
        if not sent:
            return f"{self.label:<22} {sent:>4} {'-':>8} {'-':>8} {'-':>10}"
        ordered = sorted(ms(value) for value in self.latencies)
        p95 = f"{ordered[int(sent * 0.95) - 1]:.1f}" if sent >= MIN_FOR_P95 else "-"
        return (f"{self.label:<22} {sent:>4} {statistics.median(ordered):>8.1f} {p95:>8} "
                f"{sent / self.wall:>10.2f}")


class Burst:
    """Reporters sending back to back for a while, a health probe and a page view beside."""

    def __init__(self, clients: int, seconds: float) -> None:
        self.label = f"burst, {clients} clients"
        self.clients, self.seconds = clients, seconds
        self.sent = 0
        self.busy = 0
        self.failures: list[str] = []
        self.probes: dict[str, list[float]] = {"/healthz": [], "institution page": []}
        self.probe_failures: list[str] = []
        self.wall = 0.0

    def run(self, base_url: str, slugs: list[str]) -> "Burst":
        stop = time.monotonic() + self.seconds
        lock = threading.Lock()

        def reporter(number: int) -> None:
            while time.monotonic() < stop:
                try:
                    Reporter(base_url).send_report(slugs[number % len(slugs)])
                    outcome = "sent"
                except urllib.error.HTTPError as error:
                    outcome = "busy" if error.code == 503 else f"HTTP {error.code}"
                    if outcome == "busy":  # as the page asks: a moment, then again
                        time.sleep(int(error.headers.get("Retry-After", "10")))
                except (OSError, RuntimeError) as error:
                    outcome = f"{type(error).__name__}: {error}"
                with lock:
                    if outcome == "sent":
                        self.sent += 1
                    elif outcome == "busy":
                        self.busy += 1
                    else:
                        self.failures.append(outcome)

        def probe(name: str, url: str) -> None:
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    # Always the loopback URL of the gunicorn started below.
                    with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as reply:  # noqa: S310
                        reply.read()
                    self.probes[name].append(time.perf_counter() - start)
                except OSError as error:
                    self.probe_failures.append(f"{name}: {type(error).__name__}")
                time.sleep(PROBE_EVERY)

        start = time.perf_counter()
        probes = [threading.Thread(target=probe, args=("/healthz", f"{base_url}/healthz")),
                  threading.Thread(target=probe, args=(
                      "institution page", f"{base_url}/i/{slugs[0]}?lang=en"))]
        for thread in probes:
            thread.start()
        with ThreadPoolExecutor(max_workers=self.clients) as pool:
            list(pool.map(reporter, range(self.clients)))
        for thread in probes:
            thread.join()
        self.wall = time.perf_counter() - start
        return self

    def rows(self) -> list[str]:
        lines = [f"{self.label}, {self.seconds:.0f} s: {self.sent} reports sent "
                 f"({self.sent / self.wall:.2f}/s), {self.busy} sends answered busy (503; "
                 f"sent again after Retry-After), {len(self.failures)} failed"]
        for name, times in self.probes.items():
            if times:
                ordered = sorted(times)
                lines.append(f"  {name:<17} {len(times):>4} probes, p50 "
                             f"{ms(statistics.median(ordered)):.0f} ms, p95 "
                             f"{ms(ordered[int(len(ordered) * 0.95) - 1]):.0f} ms, max "
                             f"{ms(ordered[-1]):.0f} ms")
        lines.append(f"  probes failed or timed out ({PROBE_TIMEOUT} s): "
                     f"{len(self.probe_failures)}")
        return lines

    def p95(self, name: str) -> float:
        ordered = sorted(self.probes[name]) or [float("inf")]
        return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def ms(value: float) -> float:
    """Seconds in milliseconds."""
    return value * 1000


def demo_slugs() -> list[str]:
    """The demo institutions' addresses, so no single one takes every report."""
    data = json.loads((REPO / "app" / "data" / "demo_network.json").read_text("utf-8"))
    return [entry["slug"] for entry in data["institutions"]]


def serve_and_measure(folder: Path) -> tuple[list[Phase], Burst, int, int]:
    """Seed a database in ``folder``, start gunicorn and run every phase; also returns the
    reports stored and the warm-up's reports."""
    env = app_environment(f"sqlite:///{folder}/bench.sqlite3",
                          REPORT_RATE_LIMIT="100000 per hour")
    # Seeded at the cheap cost app_environment() sets: 41 staff accounts at 64 MiB would only
    # slow the start. Sending a report uses the staff's public keys, never their password
    # cost, and the receipt derivation runs at the cost gunicorn is started with.
    try:
        flask_command(env, "db", "upgrade")
        flask_command(env, "seed-demo")
    except subprocess.CalledProcessError as error:
        print(f"seeding failed:\n{error.stdout}\n{error.stderr}")
        raise SystemExit(1) from None
    served = ServedApp(dict(env, **PRODUCTION_KDF), folder / "gunicorn.log")
    served.env.pop("WEB_CONCURRENCY")  # as shipped, unless asked for another layout
    if WORKERS:
        served.env["WEB_CONCURRENCY"] = WORKERS
    if THREADS:
        served.env["SKAIDRA_THREADS"] = THREADS
    slugs = demo_slugs()
    try:
        try:
            served.start()
        except RuntimeError as error:
            print(f"gunicorn did not start ({error.args[0].splitlines()[0]}); its log:")
            print(served.log())
            raise SystemExit(1) from None
        # Every worker compiles templates and allocates Argon2id memory once; so does this one.
        warm_up = Phase("warm-up").run(served.base_url, slugs, WARM_UP, CLIENTS)
        argon2_seconds()
        phases = [
            Phase("1 client").run(served.base_url, slugs, SEQUENTIAL, 1, reference=True),
            Phase(f"{CLIENTS} clients").run(served.base_url, slugs, CONCURRENT, CLIENTS),
            Phase("1 client, 5 MB file").run(served.base_url, slugs, ATTACHMENT_ROUNDS, 1,
                                             os.urandom(ATTACHMENT_BYTES)),
        ]
        burst = Burst(BURST_CLIENTS, BURST_SECONDS).run(served.base_url, slugs)
        if any(phase.failures for phase in phases) or burst.failures or burst.probe_failures:
            print("gunicorn log:")
            print(served.log()[-4000:])
        with sqlite3.connect(folder / "bench.sqlite3") as connection:
            stored = connection.execute("SELECT count(*) FROM report").fetchone()[0]
        return phases, burst, stored, len(warm_up.latencies)
    finally:
        try:
            served.stop()
        except subprocess.TimeoutExpired:
            # Hung workers (see WORKERS above) are killed by gunicorn itself once its graceful
            # timeout passes; killing the master first would leave them orphaned.
            try:
                served.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                served.process.kill()
                served.process.wait()


def main() -> None:
    """Time the mandatory cryptography, then the served sends, and print the comparison."""
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    layout = (f"{WORKERS or 'shipped'} worker(s) × {THREADS or 'shipped'} threads"
              if WORKERS or THREADS else "as shipped")
    print(f"Sending reports, Argon2id {PRODUCTION_COST.memory_kib // 1024} MiB × "
          f"{PRODUCTION_COST.iterations} passes × {PRODUCTION_COST.lanes} lanes, gunicorn "
          f"{layout}, {os.cpu_count()} CPUs, load {load}")
    seals = seal_seconds()
    with tempfile.TemporaryDirectory() as folder:
        phases, burst, stored, warmed_up = serve_and_measure(Path(folder))
    samples = phases[0].argon2
    argon2 = statistics.median(samples)
    mandatory = argon2 + seals

    print()
    print(f"{'in process (median)':<38} {'ms':>8}")
    print(f"{f'Argon2id receipt derivation (×{len(samples)})':<38} {ms(argon2):>8.1f}")
    print(f"{f'{READERS} HPKE seals, 2 officers + recovery':<38} {ms(seals):>8.1f}")
    print(f"{'mandatory per report':<38} {ms(mandatory):>8.1f}")
    print()
    print(f"{'final send':<22} {'sent':>4} {'p50 ms':>8} {'p95 ms':>8} {'reports/s':>10}")
    for phase in phases:
        print(phase.row())
    print("(reports/s counts the whole flow: form, check page and send)")
    print()

    single = phases[0]
    if single.latencies:
        p50 = statistics.median(single.latencies)
        overhead = p50 - mandatory
        share = overhead / mandatory
        verdict = "met" if share < TARGET else "NOT met"
        print(f"overhead at 1 client: p50 {ms(p50):.1f} − mandatory {ms(mandatory):.1f} = "
              f"{ms(overhead):.1f} ms = {share:.1%} of the mandatory cost")
        print(f"mandatory share of the send: {mandatory / p50:.1%}")
        print(f"target (overhead < {TARGET:.0%}): {verdict}")
    print()
    for line in burst.rows():
        print(line)
    sent = warmed_up + sum(len(phase.latencies) for phase in phases) + burst.sent
    print(f"reports in the database: {stored} (receipts shown: {sent}) -> "
          f"{'none lost' if stored >= sent else 'LOST'}")
    prompt = (max(burst.p95("/healthz"), burst.p95("institution page")) < 1
              and not burst.probe_failures)
    print(f"target (/healthz and page p95 < 1 s, nothing failed or lost): "
          f"{'met' if prompt and not burst.failures and stored >= sent else 'NOT met'}")
    failed = [(phase.label, failure) for phase in phases for failure in phase.failures]
    failed += [(burst.label, failure) for failure in burst.failures + burst.probe_failures]
    if failed:
        print(f"\n{len(failed)} sends failed, for example:")
        for label, failure in failed[:5]:
            print(f"  {label}: {failure}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
