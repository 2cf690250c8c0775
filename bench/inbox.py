"""Inbox and case page server time with 100, 10 000 and 100 000 reports (in process).

Runs on SQLite (a file in a temporary folder) and on a throwaway PostgreSQL cluster
(skipped, with a note, when PostgreSQL's binaries are missing), a database per size. Each
gets the demo network and one real report to Utena through submit_report; Utena is then
brought to the size by bulk-inserting copies of that report's row: fresh reference, locator
and submission digest, varied plaintext metadata over three years (status, category, dates,
deadline, assignee, triage), the ciphertexts and every other column as they are. The copies
do not decrypt (their associated data names another reference), which the inbox never
needs; most are sealed to each officer (the inbox lists only cases the officer holds a key
for).

Signed in as Utena's first officer through the sign-in pages, it times the inbox (default
filter, overdue cases, a deep page of all cases) and the real report's case page, which
decrypts, in rounds over all sizes so that the machine's load weighs on each alike. Prints
p50 / p95 per page in milliseconds and the inbox's growth from 100 to 100 000 reports
against the target (within 2×). Asserts no timing; fails only on errors.
Run with `make bench`.

Then the inbox search (`python bench/inbox.py search` runs only this part): a database per
backend holding SEARCH_CASES cases the officer can really open (each its own data key, its
body and a reporter message encrypted, its key sealed to the officer; every NOTE_EVERY-th
has an internal note holding SEARCH_WORD), searched through the page (a POST) with
SEARCH_CASE_LIMIT at each of SEARCH_LIMITS. Prints p50 / max of SEARCH_ROUNDS searches each,
in milliseconds, and the time per case.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text

from app import create_app
from app.crypto.envelope import new_data_key
from app.extensions import db
from app.models import Author, CaseNote, Outcome, Report, ReportStatus, SealedKey
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.content import add_message, new_ref, seal_json, write_content
from app.services.casefile.deadlines import refresh_deadline, today
from app.services.casefile.sealing import seal_to_officer
from app.services.casework.opened_case import now
from app.services.demo.network import DEMO_DOMAIN, seed_demo_network
from app.services.reporting.intake import ReportEntry, submit_report
from bench.common import bound_config, fetch, load_average, throwaway_postgres
from tests.helpers import staff_csrf_token, staff_sign_in

SIZES = (100, 10_000, 100_000)
ROUNDS = 30
WARM_UP = 3
BATCH = 5_000
PAGE_SIZE = 50  # rows per INSERT statement: PostgreSQL loads faster than with 1 000
TARGET = 2.0  # the inbox at the largest size, as a multiple of the smallest
SLUG = "utena"
OFFICER = f"officer1.{SLUG}@{DEMO_DOMAIN}"
COLLEAGUE = f"officer2.{SLUG}@{DEMO_DOMAIN}"
MARKER = "Bench report: the head of procurement accepted a payment from a supplier."
SEED = 2019_1937  # the same copies on both backends

# How the copies are spread: received evenly over three years; the older, the likelier
# closed (a share of cases closed, by the age in days they have passed).
HISTORY_DAYS = 3 * 365
CLOSED_SHARE_BY_AGE = ((365, 0.99), (180, 0.9), (0, 0.4))
FEEDBACK_SHARE = 0.5  # open cases past acknowledgement whose reporter already heard back
ASSIGNED_SHARE = 0.4
TRIAGED_SHARE = 0.5
# Copies sealed to each officer (keys that will not open, but the inbox lists only cases
# the officer holds a key for); the rest stand for reports whose reporter excluded the
# officer or that arrived before the officer joined.
READABLE_SHARE = 0.95
OPEN_STATUSES = (ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.ASSESSMENT,
                 ReportStatus.INVESTIGATION)

INBOX = f"/staff/i/{SLUG}/cases"
INBOX_PAGES = (
    ("inbox", INBOX),
    ("inbox ?due=overdue", f"{INBOX}?due=overdue"),
    # With 100 reports there is no page 50: the inbox shows its last page.
    ("inbox ?status=all&page=50", f"{INBOX}?status=all&page=50"),
)
CASE_PAGE = "case page (decrypts)"



def send_real_report() -> str:
    """One report to Utena through the service, as the public form sends it; its reference."""
    institution = find_institution(SLUG)
    submit_report(institution, ReportEntry(category=institution.categories[0],
                                           what_happened=MARKER),
                  uploads=[], submission_token=new_ref())
    return db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))


def metadata(rng: random.Random, institution, officer_ids: list[int], day: date) -> dict:
    """Plaintext metadata of one copy: consistent dates and the deadline they imply."""
    received = day - timedelta(days=rng.randrange(HISTORY_DAYS))
    age = (day - received).days
    closed = rng.random() < next(share for days, share in CLOSED_SHARE_BY_AGE if age >= days)
    status = ReportStatus.CLOSED if closed else rng.choice(OPEN_STATUSES)
    case = SimpleNamespace(institution=institution, received_on=received, acknowledged_on=None,
                           feedback_on=None, closed_on=None, due_on=None, reopened_on=None)
    if status != ReportStatus.NEW:
        case.acknowledged_on = min(day, received + timedelta(
            days=rng.randint(0, institution.acknowledgement_days)))
    if closed or (status in (ReportStatus.ASSESSMENT, ReportStatus.INVESTIGATION)
                  and rng.random() < FEEDBACK_SHARE):
        case.feedback_on = min(day, case.acknowledged_on + timedelta(days=rng.randint(7, 90)))
    if closed:
        case.closed_on = min(day, case.feedback_on + timedelta(days=rng.randint(0, 120)))
    refresh_deadline(case)  # the rule every service applies to due_on
    triaged = status != ReportStatus.NEW and rng.random() < TRIAGED_SHARE
    return {
        "category": rng.choice(institution.categories),
        "status": status,
        "received_on": case.received_on,
        "acknowledged_on": case.acknowledged_on,
        "feedback_on": case.feedback_on,
        "closed_on": case.closed_on,
        "due_on": case.due_on,
        "outcome": rng.choice(list(Outcome)) if closed else None,
        "assignee_id": (rng.choice(officer_ids)
                        if status != ReportStatus.NEW and rng.random() < ASSIGNED_SHARE
                        else None),
        "likelihood": rng.randint(1, 5) if triaged else None,
        "impact": rng.randint(1, 5) if triaged else None,
    }


def add_copies(real_ref: str, count: int, rng: random.Random) -> None:
    """Insert ``count`` copies of the real report's row in batches, and for READABLE_SHARE
    of them a sealed key per officer (the real report's sealed bytes: listed, never opened)."""
    table = Report.__table__
    institution = find_institution(SLUG)
    officer, colleague = find_user(OFFICER), find_user(COLLEAGUE)
    template = dict(db.session.execute(
        select(table).where(table.c.ref == real_ref)).mappings().one())
    template.pop("id")
    if "pending_notice" in template:
        template["pending_notice"] = None  # the officers heard of old reports long ago
    real_id = db.session.scalar(select(Report.id).where(Report.ref == real_ref))
    sealed = {user.id: db.session.scalar(select(SealedKey.sealed).where(
        SealedKey.report_id == real_id, SealedKey.user_id == user.id))
        for user in (officer, colleague)}
    statement = insert(table).returning(table.c.id).execution_options(
        insertmanyvalues_page_size=PAGE_SIZE)
    day = today()
    for start in range(0, count, BATCH):
        rows = [{**template, **metadata(rng, institution, [officer.id, colleague.id], day),
                 "ref": rng.randbytes(16).hex(),
                 "reporter_locator": rng.randbytes(32),
                 "submission_digest": rng.randbytes(32)}
                for _ in range(min(BATCH, count - start))]
        ids = db.session.scalars(statement, rows).all()
        keys = [{"report_id": report_id, "user_id": user_id, "sealed": key}
                for report_id in ids for user_id, key in sealed.items()
                if rng.random() < READABLE_SHARE]
        if keys:
            db.session.execute(insert(SealedKey.__table__), keys)
        db.session.commit()


def describe() -> str:
    """How many of the institution's cases are open, overdue and sealed to the officer."""
    institution = find_institution(SLUG)
    mine = select(func.count()).where(Report.institution_id == institution.id)
    still_open = db.session.scalar(mine.where(Report.status != ReportStatus.CLOSED))
    overdue = db.session.scalar(mine.where(Report.due_on < today()))
    sealed = db.session.scalar(select(func.count()).select_from(SealedKey).where(
        SealedKey.user_id == find_user(OFFICER).id))
    return f"{still_open:,} open, {overdue:,} overdue, {sealed:,} sealed to the officer"



class Site:
    """One database holding ``size`` Utena reports, and an officer signed in to it."""

    def __init__(self, backend: str, database_url: str, size: int) -> None:
        self.size = size
        self.app = create_app(bound_config(database_url))
        start = time.perf_counter()
        with self.app.app_context():
            db.create_all()
            seed_demo_network()
            real_ref = send_real_report()
            # Every database gets the same copies: 10 000 are the first of the 100 000.
            add_copies(real_ref, size - 1, random.Random(SEED))
            if backend == "postgresql":
                # Rows received over three years are long vacuumed and analysed: planner
                # statistics and a set visibility map (index-only scans). A plain VACUUM
                # right after the load may leave the map unset; FREEZE sets it.
                with db.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM (FREEZE, ANALYZE)"))
            print(f"  {backend}: {size:,} reports, {describe()} "
                  f"({time.perf_counter() - start:.1f} s to load)", flush=True)
            db.session.remove()
        self.client = self.app.test_client()
        staff_sign_in(self.client, self.app, OFFICER)
        self.pages = (*((label, url, "") for label, url in INBOX_PAGES),
                      (CASE_PAGE, f"/staff/cases/{real_ref}", MARKER))

    def close(self) -> None:
        """Close the app's database connections."""
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def measure(sites: list[Site]) -> dict[tuple[int, str], tuple[float, float]]:
    """p50 and p95 (ms) per size and page: WARM_UP untimed requests each, then ROUNDS
    rounds that request every page of every size once, so a change in the machine's load
    weighs on all sizes alike."""
    for site in sites:
        for _label, url, expected in site.pages:
            for _ in range(WARM_UP):
                fetch(site.client, url, expected)
    samples: dict[tuple[int, str], list[float]] = {}
    for _ in range(ROUNDS):
        for site in sites:
            for label, url, expected in site.pages:
                samples.setdefault((site.size, label), []).append(
                    fetch(site.client, url, expected))
    results = {}
    for key, values in samples.items():
        values.sort()
        results[key] = (statistics.median(values), values[int(len(values) * 0.95) - 1])
    return results


def measure_backend(backend: str, database_url: Callable[[int], str]
                    ) -> dict[tuple[int, str], tuple]:
    """Load one database per size (``database_url(size)`` names an empty one), then measure."""
    sites: list[Site] = []
    try:
        for size in SIZES:
            sites.append(Site(backend, database_url(size), size))
        return measure(sites)
    finally:
        for site in sites:
            site.close()



def report(results: dict[str, dict]) -> None:
    """The table, then each page's growth and the inbox verdict."""
    labels = [label for label, _url in INBOX_PAGES] + [CASE_PAGE]
    print()
    print(f"{'backend':<11} {'page':<27}"
          + "".join(f" {f'{size:,}: p50':>12} {'p95':>6}" for size in SIZES)
          + f" {'growth':>7}   ({ROUNDS} requests each, ms)")
    verdicts = []
    for backend, figures in results.items():
        for label in labels:
            cells = "".join(f" {figures[size, label][0]:>12.1f} {figures[size, label][1]:>6.1f}"
                            for size in SIZES)
            growth = figures[SIZES[-1], label][0] / figures[SIZES[0], label][0]
            print(f"{backend:<11} {label:<27}{cells} {growth:>6.2f}×")
            if label != CASE_PAGE:
                verdicts.append((backend, label, growth))
    print()
    print(f"inbox p50 at {SIZES[-1]:,} reports / at {SIZES[0]:,} (target ≤ {TARGET:g}×):")
    for backend, label, growth in verdicts:
        verdict = "OK" if growth <= TARGET else "NOT FLAT"
        print(f"  {backend:<11} {label:<27} {growth:>6.2f}×  {verdict}")


# --- the inbox search over cases that really decrypt -------------------------------------

SEARCH_CASES = 10_000
SEARCH_LIMITS = (1_000, 10_000)
SEARCH_ROUNDS = 5
SEARCH_WORD = "Kvartalas-QX17"  # folded and matched as "kvartalas-qx17"
NOTE_EVERY = 50
SEARCH_COMMIT_EVERY = 500


def add_readable_cases(real_ref: str, count: int, rng: random.Random) -> None:
    """``count`` cases the officer opens: fresh data key, body, one reporter message, the key
    sealed to the officer (and a note with SEARCH_WORD in every NOTE_EVERY-th)."""
    table = Report.__table__
    institution = find_institution(SLUG)
    officer = find_user(OFFICER)
    template = dict(db.session.execute(
        select(table).where(table.c.ref == real_ref)).mappings().one())
    for name in ("id", "content", "identity", "pending_notice"):
        template.pop(name, None)
    day = today()
    for number in range(count):
        data_key = new_data_key()
        report = Report(**{**template, **metadata(rng, institution, [officer.id], day),
                           "ref": new_ref(), "reporter_locator": rng.randbytes(32),
                           "submission_digest": rng.randbytes(32)})
        write_content(report, data_key, {
            "what_happened": f"{MARKER} Case {number}: the permit for plot {number} was "
                             "granted within a day, others waited for months.",
            "when_where": "Spring, the planning department", "people_involved": "",
            "how_known": "I saw the register", "urgency": "normal", "language": "lt",
            "excluded_officers": []}, None)
        seal_to_officer(report, data_key, officer)
        add_message(report, data_key, Author.REPORTER,
                    f"The register for plot {number} was changed after my report.")
        if number % NOTE_EVERY == 0:
            note = CaseNote(ref=new_ref(), author=officer, written_at=now())
            note.body = seal_json(data_key, {"text": f"Compare with {SEARCH_WORD} minutes."},
                                  report.ref, "note", note.ref)
            report.notes.append(note)
        db.session.add(report)
        if number % SEARCH_COMMIT_EVERY == SEARCH_COMMIT_EVERY - 1:
            db.session.commit()
    db.session.commit()


def measure_search(backend: str, database_url: str) -> dict[int, tuple[float, float]]:
    """p50 and max (ms) of SEARCH_ROUNDS searches at each limit, on one loaded database."""
    app = create_app(bound_config(database_url))
    start = time.perf_counter()
    with app.app_context():
        db.create_all()
        seed_demo_network()
        add_readable_cases(send_real_report(), SEARCH_CASES, random.Random(SEED))
        if backend == "postgresql":
            with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM (FREEZE, ANALYZE)"))
        db.session.remove()
    print(f"  {backend}: {SEARCH_CASES + 1:,} cases the officer opens "
          f"({time.perf_counter() - start:.1f} s to load)", flush=True)
    client = app.test_client()
    staff_sign_in(client, app, OFFICER)
    token = staff_csrf_token(client)
    results = {}
    try:
        for limit in SEARCH_LIMITS:
            app.config["SEARCH_CASE_LIMIT"] = limit
            expected = -(-limit // NOTE_EVERY)  # notes in the most recent ``limit`` cases...
            samples = []
            for _ in range(SEARCH_ROUNDS):
                began = time.perf_counter()
                response = client.post(f"{INBOX}/search?lang=en", data={
                    "csrf_token": token, "search": SEARCH_WORD, "status": "all"})
                samples.append((time.perf_counter() - began) * 1000)
                page = response.get_data(as_text=True)
                if response.status_code != 200 or "contain these words" not in page:
                    raise RuntimeError(f"search at {limit:,} answered {response.status_code}")
            found = page.split(" cases contain these words")[0].rsplit(">", 1)[-1].strip()
            print(f"    limit {limit:,}: {found} matches (about {expected} expected)",
                  flush=True)
            results[limit] = (statistics.median(samples), max(samples))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return results


def report_search(results: dict[str, dict[int, tuple[float, float]]]) -> None:
    """The search table: per backend and limit, p50 and max, and the time per case."""
    print()
    print(f"{'backend':<11} {'cases searched':>15} {'p50 ms':>9} {'max ms':>9} "
          f"{'per case ms':>12}   ({SEARCH_ROUNDS} searches each, {SEARCH_WORD!r})")
    for backend, figures in results.items():
        for limit, (median, worst) in figures.items():
            print(f"{backend:<11} {limit:>15,} {median:>9.0f} {worst:>9.0f} "
                  f"{median / limit:>12.3f}")


def main_search() -> None:
    """The search over SEARCH_LIMITS cases, on SQLite and on PostgreSQL when installed."""
    print(f"Inbox search, signed in as {OFFICER}; {os.cpu_count()} CPUs, "
          f"load {load_average()}", flush=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure_search("sqlite", f"sqlite:///{folder}/search.sqlite3")
    with throwaway_postgres() as cluster:
        if cluster is not None:
            results["postgresql"] = measure_search(
                "postgresql", cluster.url(cluster.create_database()))
    report_search(results)


def main() -> None:
    """Measure on SQLite, then on PostgreSQL when it is installed, and print the figures;
    then the search (``search`` as the argument: the search alone)."""
    began = time.perf_counter()
    if sys.argv[1:] == ["search"]:
        main_search()
        print(f"\n(run time {time.perf_counter() - began:.0f} s, load now {load_average()})")
        return
    print(f"Inbox and case page, signed in as {OFFICER}; Utena holding "
          f"{', '.join(f'{size:,}' for size in SIZES)} reports (a database each); "
          f"{os.cpu_count()} CPUs, load {load_average()}", flush=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure_backend(
            "sqlite", lambda size: f"sqlite:///{folder}/bench-{size}.sqlite3")
    with throwaway_postgres() as cluster:
        if cluster is not None:
            results["postgresql"] = measure_backend(
                "postgresql", lambda _size: cluster.url(cluster.create_database()))
    report(results)
    main_search()
    print(f"\n(run time {time.perf_counter() - began:.0f} s, load now {load_average()})")


if __name__ == "__main__":
    main()
