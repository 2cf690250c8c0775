"""Granting officers access with the recovery code: time per report and per batch.

On SQLite (a file in a temporary folder) and on a throwaway PostgreSQL cluster (skipped,
with a note, when PostgreSQL's binaries are missing): the demo network, Utena's officers
deactivated, REPORTS real reports sent through submit_report (so each is sealed to the
recovery key alone and opens with the demo recovery code), then a new officer. Times the
grant page with that many unreadable reports, then grants every report nobody can read to
the new officer and one colleague in batches of MAX_REPORTS_PER_GRANT, as the admin would by
submitting again, and prints each batch's time and the time per report (one recovery-key
opening, one body decryption for the exclusions and two sealings each). Asserts no timing;
fails only when a report is left unreadable. Run with `make bench`.
"""

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.extensions import db
from app.models import Role
from app.services.accounts.users import create_user, find_user
from app.services.administration import recovery_grant
from app.services.administration.institutions import find_institution
from app.services.casefile.sealing import unreadable_reports
from app.services.demo.network import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    demo_recovery_code,
    seed_demo_network,
)
from app.services.reporting.intake import ReportEntry, submit_report
from bench.common import bound_config, fetch, load_average, throwaway_postgres
from tests.helpers import staff_sign_in

REPORTS = int(os.environ.get("BENCH_GRANT_REPORTS", "1200"))
SLUG = "utena"
ADMIN = f"admin.{SLUG}@{DEMO_DOMAIN}"
LEAVERS = (f"officer1.{SLUG}@{DEMO_DOMAIN}", f"officer2.{SLUG}@{DEMO_DOMAIN}")
NEWCOMERS = (f"officer3.{SLUG}@{DEMO_DOMAIN}", f"officer4.{SLUG}@{DEMO_DOMAIN}")


def prepare(app) -> None:
    with app.test_request_context("/?lang=en"):
        db.create_all()
        seed_demo_network()
        for email in LEAVERS:
            find_user(email).is_active = False
        db.session.commit()
        institution = find_institution(SLUG)
        start = time.perf_counter()
        for number in range(REPORTS):
            submit_report(institution, ReportEntry(
                category=institution.categories[0],
                what_happened=f"Bench report {number}: a payment for a permit."), [],
                secrets.token_urlsafe(16))
        print(f"  {REPORTS} reports sent in {time.perf_counter() - start:.1f} s", flush=True)
        for number, email in enumerate(NEWCOMERS, start=3):
            create_user(email, f"Integrity officer {number} (new)", DEMO_PASSWORD,
                        role_in=(institution, Role.OFFICER))
        db.session.remove()


def run(label: str, database_url: str) -> None:
    print(f"{label}: {REPORTS} reports only the recovery key opens (load {load_average()})",
          flush=True)
    app = create_app(bound_config(database_url))
    prepare(app)
    client = app.test_client()
    staff_sign_in(client, app, ADMIN)
    page = [fetch(client, f"/staff/i/{SLUG}/admin/recovery-grant?lang=en",
                  "Reports no active officer can read") for _ in range(5)]
    print(f"  grant page: {sorted(page)[2]:.0f} ms (median of 5)", flush=True)
    code = demo_recovery_code(SLUG)
    with app.test_request_context("/?lang=en"):
        institution = find_institution(SLUG)
        admin = find_user(ADMIN)
        officers = [find_user(email).id for email in NEWCOMERS]
        total_time, granted, batch = 0.0, 0, 0
        while True:
            start = time.perf_counter()
            result = recovery_grant.grant_with_recovery_code(
                institution, code, officers, recovery_grant.GrantScope.UNREADABLE, (), admin)
            elapsed = time.perf_counter() - start
            if not result.reports:
                break
            batch += 1
            total_time += elapsed
            granted += result.reports
            print(f"  batch {batch}: {result.reports} reports, {result.keys} keys in "
                  f"{elapsed:.2f} s ({elapsed / result.reports * 1000:.1f} ms per report); "
                  f"{result.remaining} left", flush=True)
        left = unreadable_reports(institution)
        print(f"  all {granted} reports in {total_time:.1f} s "
              f"({total_time / max(granted, 1) * 1000:.1f} ms per report, "
              f"batch limit {recovery_grant.MAX_REPORTS_PER_GRANT}); unreadable now: {left}",
              flush=True)
        if left:
            raise SystemExit(f"{left} reports are still unreadable")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
    with throwaway_postgres() as cluster:
        if cluster is not None:
            run("PostgreSQL", cluster.url(cluster.create_database()))


if __name__ == "__main__":
    main()
