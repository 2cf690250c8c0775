"""The audit log as institution admins read it: one sentence per entry without stored
codes, links where the reader may follow them, the institution's time, filters, and a CSV
export that is itself audited."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEntry, Membership, Report, Role
from app.services import audit
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.spreadsheets import safe_cells
from tests.helpers import send_report, staff_sign_in, text_of

DOMAIN = "demo.example.org"
ADMIN = f"admin.utena@{DOMAIN}"
OFFICER1 = f"officer1.utena@{DOMAIN}"
OFFICER2 = f"officer2.utena@{DOMAIN}"
BIRZAI_OFFICER = f"officer1.birzai@{DOMAIN}"
PAGE = "/staff/i/utena/admin/audit"
CSV_PAGE = "/staff/i/utena/admin/audit.csv"
# What a stored code looks like in a sentence: a flag, a key and its value, a digest or
# reference longer than the eight characters shown, a snake_case code, JSON brackets.
RAW_CODES = [re.compile(pattern) for pattern in (
    r"\b(True|False|None)\b", r"\w:\s", r"[0-9a-f]{9,}", r"\b[a-z]+_[a-z_]+\b", r"[{}\[\]]")]


def signed_in(app, email: str):
    client = app.test_client()
    client.get("/staff/login?lang=en")
    staff_sign_in(client, app, email)
    return client


@pytest.fixture
def admin(seeded):
    return signed_in(seeded, ADMIN)


def ids(app) -> dict:
    """Account and institution ids of the demo network the samples name."""
    with app.app_context():
        return {"admin": find_user(ADMIN).id, "officer1": find_user(OFFICER1).id,
                "officer2": find_user(OFFICER2).id, "birzai_officer": find_user(BIRZAI_OFFICER).id,
                "utena": find_institution("utena").id, "birzai": find_institution("birzai").id}


def a_report(app, reporter) -> str:
    send_report(reporter, "utena")
    with app.app_context():
        return db.session.scalars(select(Report.ref).order_by(Report.id.desc())).first()


def samples(known: dict, ref: str) -> dict[str, tuple[str | None, dict]]:
    """For every action the log records: the case it names and its metadata, as the
    services write them (one place per action, found with grep for audit.record)."""
    officer, other = known["officer1"], known["officer2"]
    file_ref = "9f86d081884c7d659a2feaa0c55ad015"
    return {
        "login": (None, {}), "login_failed": (None, {}), "two_factor_failed": (None, {}),
        "two_factor_enrolled": (None, {}), "logout": (None, {}),
        "password_changed": (None, {"user": officer}),
        "language_changed": (None, {"user": officer, "old": "lt", "new": "en"}),
        "account_recovered": (None, {"user": other, "cases": 3}),
        "invitation_sent": (None, {"email": "jonas@utena.example.org", "name": "Jonas",
                                   "role": "officer"}),
        "invitation_accepted": (None, {"user": other}),
        "invitation_withdrawn": (None, {"email": "jonas@utena.example.org", "name": "Jonas",
                                        "role": "institution_admin"}),
        "membership_offered": (None, {"user": other, "role": "officer"}),
        "membership_accepted": (None, {"user": other, "joined": known["utena"],
                                       "role": "officer"}),
        "membership_declined": (None, {"user": other, "role": "institution_admin"}),
        "account_deactivated": (None, {"user": other, "left_unreadable": 2}),
        "account_reactivated": (None, {"user": other}),
        "role_changed": (None, {"user": other, "added": ["institution_admin"],
                                "removed": ["officer"], "keys_removed": 4}),
        "case_viewed": (ref, {}),
        "cases_searched": (None, {"searched": 12, "matched": 1}),
        "file_downloaded": (ref, {"file": file_ref}),
        "message_sent": (ref, {"files": 2, "sent_as": "feedback"}),
        "report_registered": (ref, {"channel": "meeting"}),
        "minutes_revised": (ref, {"version": 2}),
        "minutes_approved": (ref, {"version": 2, "by": "mailbox"}),
        "minutes_correction_requested": (ref, {"version": 1, "by": "reporter"}),
        "meeting_request_handled": (ref, {}),
        "note_added": (ref, {}),
        "status_changed": (ref, {"old": "investigation", "new": "closed",
                                 "outcome": "partly_substantiated"}),
        "assigned": (ref, {"user": other}),
        "triaged": (ref, {"likelihood": 3, "impact": 5}),
        "reclassified": (ref, {"old": "bribery", "new": "conflict_of_interest"}),
        "access_granted": (ref, {"user": other}),
        "recused": (ref, {}),
        "case_reopened": (ref, {"outcome": "not_substantiated"}),
        "transferred_out": (ref, {"target": known["birzai"], "kept_access": True}),
        "transferred_in": (ref, {"source": known["birzai"]}),
        "exported": (None, {"what": "assessment:csv", "assessment": 7}),
        "audit_exported": (None, {"rows": 45, "of_action": "case_viewed", "user": officer,
                                  "date_from": "2026-01-01", "date_to": "2026-01-31"}),
        "settings_changed": (None, {"fields": ["feedback_months", "allow_exclusions"]}),
        "institution_created": (None, {"slug": "utena"}),
        "recovery_code_regenerated": (None, {"cases": 2}),
        "recovery_grant": (ref, {"officers": [officer, other]}),
        "case_deleted": (ref, {}),
        "assessment_started": (None, {"assessment": 7, "questionnaire": "integrity-checklist",
                                      "version": 1}),
        "assessment_finalised": (None, {"assessment": 7, "questionnaire": "nonexistent",
                                        "version": 1}),
        "action_plan_changed": (None, {"item": 99, "status": "in_progress"}),
    }


def record(app, action: str, actor: str | None = ADMIN, institution: str = "utena",
           ref: str | None = None, at: datetime | None = None, **detail) -> int:
    """Write an entry as a service does; ``at`` moves it to another time afterwards."""
    with app.app_context():
        user = find_user(actor) if actor else None
        entry = audit.record(action, actor=user, institution=find_institution(institution),
                             report_ref=ref, **detail)
        db.session.commit()
        if at is not None:
            db.session.execute(update(AuditEntry).where(AuditEntry.id == entry.id)
                               .values(recorded_at=at))
            db.session.commit()
        return entry.id


def table_rows(page: str) -> list[list[str]]:
    """The cells of the log's table, as HTML."""
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def words(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&#34;", '"').replace("&#39;", "'")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_of(response))))


# --- sentences --------------------------------------------------------------------------------


def test_every_action_has_a_sample_here():
    known = {"admin": 1, "officer1": 2, "officer2": 3, "birzai_officer": 4, "utena": 1,
             "birzai": 2}
    assert set(samples(known, "0" * 32)) == set(audit.ACTIONS)


def test_every_action_reads_as_a_sentence_without_stored_codes(seeded, admin, reporter_client):
    ref = a_report(seeded, reporter_client)
    examples = samples(ids(seeded), ref)
    for action, (case, detail) in examples.items():
        record(seeded, action, ref=case, **detail)

    page = text_of(admin.get(f"{PAGE}?lang=en"))
    sentences = [words(cells[2]) for cells in reversed(table_rows(page))]

    assert len(sentences) == len(examples)
    for (action, (_case, detail)), sentence in zip(examples.items(), sentences, strict=True):
        for raw in RAW_CODES:
            assert not raw.search(sentence), (action, sentence)
        for value in detail.values():
            if isinstance(value, str) and "_" in value:
                assert value not in sentence, (action, sentence)
    by_action = dict(zip(examples, sentences, strict=True))
    assert by_action["access_granted"] == (
        f"Granted Eglė Jankauskaitė "
        f"access to case {ref[:8]}")
    assert by_action["case_viewed"] == f"Opened and decrypted case {ref[:8]}"
    assert by_action["file_downloaded"] == f"Downloaded a file of case {ref[:8]}"
    assert "9f86d081" not in page
    assert by_action["transferred_out"] == (
        f"Transferred case {ref[:8]} to Biržai District Municipality and kept access to it")
    assert by_action["status_changed"] == (
        f"Moved case {ref[:8]} from “Under investigation” to “Closed”; "
        "the outcome is “Partly substantiated”")
    assert by_action["role_changed"].startswith(
        "Gave Eglė Jankauskaitė the role "
        "Institution administrator instead of Integrity officer")
    assert by_action["assessment_started"] == (
        "Started a self-assessment with “Integrity infrastructure checklist”")
    assert by_action["assessment_finalised"] == "Finalised a self-assessment"
    assert by_action["institution_created"] == "Created the institution with the address utena"
    assert by_action["message_sent"] == (
        f"Sent the reporter of case {ref[:8]} a message marked “Feedback (Art. 9(1)(f))”; "
        "2 files attached")
    assert by_action["settings_changed"] == (
        "Changed the settings “Months to give feedback”, “Reporters may exclude named "
        "officers”")
    assert by_action["audit_exported"] == (
        "Downloaded 45 entries of the audit log as a CSV file; only entries naming "
        "Paulius Kazlauskas; only “Case "
        "opened and decrypted”; from Jan 1, 2026; until Jan 31, 2026")


def test_an_unknown_action_or_unfitting_metadata_gets_a_generic_sentence(seeded, admin):
    first = record(seeded, "case_viewed", ref="ab" * 16)
    second = record(seeded, "triaged", ref="cd" * 16, likelihood="high", impact=None)
    with seeded.app_context():
        db.session.execute(update(AuditEntry).where(AuditEntry.id == first)
                           .values(action="case_read_in_a_future_version"))
        db.session.commit()

    rows = table_rows(text_of(admin.get(f"{PAGE}?lang=en")))

    assert words(rows[0][2]) == "Triage rating changed (case cdcdcdcd)"
    assert words(rows[1][2]) == "Another recorded event (case abababab)"
    assert second > first


def test_html_in_a_display_name_is_shown_as_text(seeded, admin):
    with seeded.app_context():
        officer = find_user(OFFICER2)
        officer.display_name = '<img src=x onerror="alert(1)">'
        db.session.commit()
        target = officer.id
    record(seeded, "access_granted", ref="ab" * 16, user=target)
    record(seeded, "case_viewed", actor=OFFICER2, ref="ab" * 16)

    page = text_of(admin.get(f"{PAGE}?lang=en"))

    assert "<img src=x" not in page
    assert page.count("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;") >= 3  # who, whom, filter


# --- links ------------------------------------------------------------------------------------


def test_people_link_to_their_member_page_and_others_are_named_as_text(seeded, admin):
    known = ids(seeded)
    record(seeded, "case_viewed", actor=OFFICER1, ref="ab" * 16)
    record(seeded, "access_granted", actor=BIRZAI_OFFICER, ref="ab" * 16,
           user=known["officer2"])

    rows = table_rows(text_of(admin.get(f"{PAGE}?lang=en")))

    member = f'href="/staff/i/utena/admin/members/{known["officer2"]}"'
    assert member in rows[0][2]
    assert "href" not in rows[0][1] and "Vytautas Jankauskas" in rows[0][1]
    assert f'href="/staff/i/utena/admin/members/{known["officer1"]}"' in rows[1][1]


def test_a_case_links_to_its_page_only_for_a_reader_who_may_open_it(seeded, reporter_client):
    ref = a_report(seeded, reporter_client)
    record(seeded, "case_viewed", actor=OFFICER1, ref=ref)
    plain_admin = signed_in(seeded, ADMIN)
    before = table_rows(text_of(plain_admin.get(f"{PAGE}?lang=en")))
    with seeded.app_context():
        db.session.add(Membership(user_id=find_user(ADMIN).id,
                                  institution_id=find_institution("utena").id,
                                  role=Role.OFFICER))
        db.session.commit()

    after = table_rows(text_of(plain_admin.get(f"{PAGE}?lang=en")))

    assert f"/staff/cases/{ref}" not in before[0][2]
    assert f"<code>{ref[:8]}</code>" in before[0][2]
    assert f'<a href="/staff/cases/{ref}"><code>{ref[:8]}</code></a>' in after[0][2]


# --- times ------------------------------------------------------------------------------------


def test_times_are_shown_in_the_institutions_time_zone_like_the_case_history(seeded, admin):
    winter = datetime(2026, 1, 15, 10, 5, tzinfo=UTC)
    record(seeded, "case_viewed", ref="ab" * 16, at=winter)
    record(seeded, "login", actor=f"admin.fleksibel-utdanning@{DOMAIN}",
           institution="fleksibel-utdanning", at=winter)
    norwegian = signed_in(seeded, f"admin.fleksibel-utdanning@{DOMAIN}")

    lithuanian = text_of(admin.get(f"{PAGE}?lang=lt"))
    oslo = text_of(norwegian.get("/staff/i/fleksibel-utdanning/admin/audit?lang=lt"))

    assert '<time datetime="2026-01-15T12:05:00+02:00">2026-01-15 12:05</time>' in lithuanian
    assert "Europe/Vilnius" in lithuanian
    assert '<time datetime="2026-01-15T11:05:00+01:00">2026-01-15 11:05</time>' in oslo


# --- filters ----------------------------------------------------------------------------------


@pytest.fixture
def varied_log(seeded) -> dict:
    """Four entries that differ in case, person, action and day."""
    known = ids(seeded)
    return {
        "a": record(seeded, "case_viewed", actor=OFFICER1, ref="aa" * 16,
                    at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC)),
        "b": record(seeded, "note_added", actor=OFFICER1, ref="bb" * 16,
                    at=datetime(2026, 2, 10, 9, 0, tzinfo=UTC)),
        # 23:30 UTC on 14 March is 01:30 on 15 March in Vilnius.
        "c": record(seeded, "case_viewed", actor=OFFICER2, ref="bb" * 16,
                    at=datetime(2026, 3, 14, 23, 30, tzinfo=UTC)),
        "d": record(seeded, "role_changed", actor=ADMIN, user=known["officer1"],
                    added=["institution_admin"], removed=[], keys_removed=0,
                    at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC)),
    }


def listed(admin, query: str) -> list[str]:
    """The sentences the filtered page lists, newest first."""
    page = text_of(admin.get(f"{PAGE}?lang=en&{query}"))
    return [words(cells[2]) for cells in table_rows(page)] if "<tbody>" in page else []


@pytest.mark.parametrize("query, expected", [
    ("ref=bbbb", ["Opened and decrypted case bbbbbbbb", "Added an internal note to case bbbbbbbb"]),
    ("ref=AAAAAAAA", ["Opened and decrypted case aaaaaaaa"]),
    ("action=case_viewed", ["Opened and decrypted case bbbbbbbb",
                            "Opened and decrypted case aaaaaaaa"]),
    ("date_from=2026-02-01&date_to=2026-03-14", ["Added an internal note to case bbbbbbbb"]),
    ("date_from=2026-03-15&date_to=2026-03-15", ["Opened and decrypted case bbbbbbbb"]),
    ("ref=bb&action=case_viewed&date_from=2026-03-01", ["Opened and decrypted case bbbbbbbb"]),
])
def test_each_filter_narrows_the_rows(seeded, admin, varied_log, query, expected):
    assert len(listed(admin, "")) == 4
    assert listed(admin, query) == expected


def test_the_person_filter_finds_entries_by_and_about_a_person(seeded, admin, varied_log):
    officer = ids(seeded)["officer1"]

    found = listed(admin, f"person={officer}")

    assert found == [
        "Gave Paulius Kazlauskas the role "
        "Institution administrator",
        "Added an internal note to case bbbbbbbb", "Opened and decrypted case aaaaaaaa"]


def test_people_named_only_among_a_grants_officers_are_offered_and_found(seeded, admin):
    known = ids(seeded)
    record(seeded, "recovery_grant", ref="cc" * 16,
           officers=[known["officer2"], known["birzai_officer"]])
    record(seeded, "case_viewed", ref="dd" * 16)

    page = text_of(admin.get(f"{PAGE}?lang=en"))
    found = {person: listed(admin, f"person={known[person]}")
             for person in ("officer2", "birzai_officer")}

    # Not a member of Utena and never acting in its log: named by the grant alone.
    assert f'<option value="{known["birzai_officer"]}">' in page
    for rows in found.values():
        assert len(rows) == 1 and "with the recovery code" in rows[0]


def test_filters_offer_translated_actions_and_the_institutions_people(seeded, admin):
    page = text_of(admin.get(f"{PAGE}?lang=en"))

    assert '<option value="case_viewed">Case opened and decrypted</option>' in page
    assert "Eglė Jankauskaitė</option>" in page
    assert "Vytautas Jankauskas</option>" not in page  # of Biržai, not named in this log
    assert 'role="search"' in page and 'method="get"' in page


def test_an_invalid_filter_value_is_named_and_left_out(seeded, admin, varied_log):
    page = text_of(admin.get(f"{PAGE}?lang=en&ref=xyz&date_from=2026-13-01&action=nothing"))

    assert "A case reference has only the digits 0–9 and the letters a–f." in page
    assert "Enter a day as year-month-day, for example 2026-03-31." in page
    assert len(table_rows(page)) == 4


def test_page_links_keep_the_filters(seeded, admin):
    with seeded.app_context():
        actor, institution = find_user(OFFICER1), find_institution("utena")
        for number in range(60):
            audit.record("case_viewed", actor=actor, institution=institution,
                         report_ref=f"{number:032x}")
        db.session.commit()

    page = text_of(admin.get(f"{PAGE}?lang=en&action=case_viewed"))

    assert re.search(r'href="[^"]*page=2[^"]*action=case_viewed|href="[^"]*action=case_viewed'
                     r'[^"]*page=2', page)
    assert "Page 1 of 2" in page


# --- CSV export ------------------------------------------------------------------------------


def test_the_csv_export_has_the_filtered_rows_in_words_and_local_time(seeded, admin,
                                                                      varied_log):
    response = admin.get(f"{CSV_PAGE}?lang=en&ref=bb")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r"attachment; filename=skaidra-utena-audit-log-\d{4}-\d{2}-\d{2}\.csv",
                        disposition)
    header, *rows = csv_rows(response)
    assert header == ["Date", "Time (Europe/Vilnius)", "Who", "Action", "What happened", "Case"]
    assert rows == [
        ["2026-03-15", "01:30:00",
         "Eglė Jankauskaitė",
         "Case opened and decrypted", "Opened and decrypted case bbbbbbbb", "bb" * 16],
        ["2026-02-10", "11:00:00",
         "Paulius Kazlauskas",
         "Internal note added", "Added an internal note to case bbbbbbbb", "bb" * 16],
    ]


def test_the_csv_export_is_itself_audited_with_its_filter(seeded, admin, varied_log):
    officer = ids(seeded)["officer1"]

    admin.get(f"{CSV_PAGE}?lang=en&person={officer}&action=case_viewed&date_to=2026-03-31")

    with seeded.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "audit_exported")).one()
        assert entry.actor_id == find_user(ADMIN).id
        assert entry.institution_id == find_institution("utena").id
        assert entry.detail == {"rows": 1, "user": officer, "of_action": "case_viewed",
                                "date_to": "2026-03-31"}
    newest = table_rows(text_of(admin.get(f"{PAGE}?lang=en")))[0]
    assert words(newest[2]) == (
        "Downloaded 1 entry of the audit log as a CSV file; only entries naming Paulius "
        "Kazlauskas; only “Case opened and decrypted”; until Mar 31, 2026")


def test_a_log_longer_than_one_file_holds_is_refused_with_the_filters_kept(seeded, admin,
                                                                          varied_log):
    seeded.config["AUDIT_EXPORT_LIMIT"] = 2
    query = "date_from=2026-01-01&date_to=2026-03-31"

    refused = admin.get(f"{CSV_PAGE}?lang=en&{query}")
    page = text_of(admin.get(refused.headers["Location"]))
    narrower = admin.get(f"{CSV_PAGE}?lang=en&date_from=2026-02-01&date_to=2026-03-31")

    assert refused.status_code == 302
    assert "date_from=2026-01-01" in refused.headers["Location"]
    assert ("These filters select 3 entries; one file holds at most 2. Choose fewer days "
            "and export the log in parts.") in page
    assert narrower.status_code == 200 and narrower.mimetype == "text/csv"
    with seeded.app_context():
        exported = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "audit_exported")).all()
        assert [entry.detail["rows"] for entry in exported] == [2]


def test_the_csv_export_neutralises_cells_a_spreadsheet_would_run(seeded, admin):
    with seeded.app_context():
        find_user(OFFICER2).display_name = '=HYPERLINK("http://evil.example/","x")'
        db.session.commit()
    record(seeded, "case_viewed", actor=OFFICER2, ref="ab" * 16)

    [_header, row] = csv_rows(admin.get(f"{CSV_PAGE}?lang=en"))

    assert row[2] == "'=HYPERLINK(\"http://evil.example/\",\"x\")"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cells_neutralise_every_formula_start(cell):
    assert safe_cells([cell, "plain"]) == [f"'{cell}", "plain"]


def test_only_the_institutions_admins_may_export(seeded):
    officer = signed_in(seeded, OFFICER1)
    other_admin = signed_in(seeded, f"admin.birzai@{DOMAIN}")

    assert officer.get(CSV_PAGE).status_code == 404
    assert other_admin.get(CSV_PAGE).status_code == 404
    with seeded.app_context():
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "audit_exported")).all() == []


@pytest.fixture
def reporter_client(seeded):
    return seeded.test_client()



def test_a_reporters_step_shows_its_day_only_on_the_page_and_in_the_csv(seeded, admin):
    with seeded.app_context():
        audit.record("minutes_approved", institution=find_institution("utena"),
                     report_ref="ee" * 16, day_only=True, version=1, by="mailbox")
        db.session.commit()

    page = text_of(admin.get(f"{PAGE}?lang=en"))
    _header, *rows = csv_rows(admin.get(f"{CSV_PAGE}?lang=en&ref=eeee"))

    [row] = table_rows(page)[:1]
    assert re.fullmatch(r'<time datetime="\d{4}-\d{2}-\d{2}">[^<]+</time>', row[0].strip())
    assert "Reporter" in row[1]
    assert [(cells[1], cells[2]) for cells in rows] == [("", "Reporter")]
