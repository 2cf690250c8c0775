"""Reporters may keep named officers out of their report, when the institution allows it."""

from sqlalchemy import select

from app.extensions import db
from app.models import Institution, Report, SealedKey
from app.services.accounts.users import find_user
from tests.helpers import check_report, send_report, text_of

EXCLUDED = "officer2.utena@demo.example.org"
KEPT = "officer1.utena@demo.example.org"


def allow_exclusions(app) -> int:
    """Switch exclusions on for utena; returns the id of the officer to exclude."""
    with app.app_context():
        institution = db.session.scalar(select(Institution).where(Institution.slug == "utena"))
        institution.allow_exclusions = True
        db.session.commit()
        return find_user(EXCLUDED).id


def key_holders(app) -> set[int]:
    with app.app_context():
        report = db.session.scalar(select(Report))
        return set(db.session.scalars(
            select(SealedKey.user_id).where(SealedKey.report_id == report.id)))


def test_the_form_offers_no_officers_unless_the_institution_allows_it(seeded):
    response = seeded.test_client().get("/i/utena/report?lang=en")
    page = text_of(response)
    assert response.status_code == 200 and "What happened?" in page
    assert "Officers who must not see this report" not in page
    assert "Eglė Jankauskaitė" not in page


def test_an_excluded_officer_gets_no_key(seeded):
    excluded = allow_exclusions(seeded)
    client = seeded.test_client()
    form = text_of(client.get("/i/utena/report?lang=en"))
    assert "Officers who must not see this report" in form and "Eglė Jankauskaitė" in form

    checked = text_of(check_report(client, "utena", excluded_officers=[str(excluded)]))
    assert f'name="excluded_officers" value="{excluded}"' in checked  # carried to step 2
    response = send_report(client, "utena", excluded_officers=[str(excluded)])

    assert response.status_code == 200
    with seeded.app_context():
        kept = find_user(KEPT).id
    assert excluded not in key_holders(seeded)
    assert kept in key_holders(seeded)


def test_only_the_institutions_officers_can_be_excluded(seeded):
    allow_exclusions(seeded)
    with seeded.app_context():
        outsider = find_user("officer1.birzai@demo.example.org").id

    response = check_report(seeded.test_client(), "utena", excluded_officers=[str(outsider)])

    page = text_of(response)
    assert "Check your report" not in page  # step 1 again, with the error on the field
    assert 'id="excluded_officers-error"' in page
