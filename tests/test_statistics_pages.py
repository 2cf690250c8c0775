"""Statistics pages: who sees which figures, small network counts withheld, audited CSV."""

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.helpers import send_report, staff_sign_in, text_of


def test_network_page_withholds_small_counts_and_the_export_is_audited(seeded):
    send_report(seeded.test_client(), "utena")
    client = seeded.test_client()
    staff_sign_in(client, seeded, "analyst@demo.example.org")

    page = text_of(client.get("/staff/statistics/network?lang=en"))
    export = client.get("/staff/statistics/network.csv")

    assert "&lt;5" in page and "<svg" in page and 'role="img"' in page
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    assert "<5" in export.get_data(as_text=True)
    with seeded.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "exported" in actions


def test_institution_page_shows_exact_counts_to_its_own_staff(seeded):
    send_report(seeded.test_client(), "utena")
    client = seeded.test_client()
    staff_sign_in(client, seeded, "officer1.utena@demo.example.org")

    page = text_of(client.get("/staff/i/utena/statistics?lang=en"))

    assert "&lt;5" not in page
    assert "<td>1</td>" in page
    assert client.get("/staff/i/birzai/statistics").status_code == 404
    assert client.get("/staff/statistics/network").status_code == 403


def test_a_malformed_year_falls_back_to_all_time(seeded):
    client = seeded.test_client()
    staff_sign_in(client, seeded, "analyst@demo.example.org")

    for year in ("abc", "1900", "-1", "9" * 40):
        assert client.get(f"/staff/statistics/network?year={year}").status_code == 200
