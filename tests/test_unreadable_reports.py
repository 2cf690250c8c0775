"""A report no active officer can open is never silent: the overview and the admin pages
count it, the platform admin sees institutions without an active officer, and the channel
stays open and looks the same to reporters."""

from sqlalchemy import select

from app.extensions import db
from app.models import Report
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.sealing import unreadable_reports
from tests.helpers import staff_sign_in, text_of
from tests.test_casework import ADMIN, OFFICER1, OFFICER2, new_report, signed_in

WARNING = "can be read by no active officer of this institution"
PLATFORM = "platform-admin@demo.example.org"


def deactivate_officers(app, *emails: str) -> None:
    with app.app_context():
        for email in emails:
            find_user(email).is_active = False
        db.session.commit()


def unreadable(app, slug: str = "utena") -> int:
    with app.app_context():
        return unreadable_reports(find_institution(slug))


def page(client, path: str) -> str:
    with client.get(f"{path}?lang=en") as response:
        assert response.status_code == 200
        return text_of(response)


def test_a_report_with_no_active_officer_is_counted_on_overview_and_admin_pages(seeded):
    new_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    admin = seeded.test_client()
    staff_sign_in(admin, seeded, ADMIN)
    assert unreadable(seeded) == 0
    assert WARNING not in page(officer, "/staff/overview")
    assert WARNING not in page(admin, "/staff/i/utena/admin/")

    deactivate_officers(seeded, OFFICER1)
    assert unreadable(seeded) == 0  # the second officer still holds its key
    deactivate_officers(seeded, OFFICER2)
    assert unreadable(seeded) == 1
    members_page = page(admin, "/staff/i/utena/admin/")
    assert "1 report can be read by no active officer of this institution." in members_page
    assert WARNING in page(admin, "/staff/i/utena/admin/settings")


def test_reports_still_arrive_when_no_officer_is_active_and_reporters_see_no_difference(
        seeded):
    reporter = seeded.test_client()
    before = page(reporter, "/i/utena/")
    deactivate_officers(seeded, OFFICER1, OFFICER2)
    assert page(reporter, "/i/utena/") == before
    ref, receipt = new_report(seeded, reporter)
    assert receipt
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        assert report.sealed_keys == [] and report.recovery_key is not None
    assert unreadable(seeded) == 1


def test_the_platform_admin_sees_which_institutions_have_no_active_officer(seeded):
    platform = seeded.test_client()
    staff_sign_in(platform, seeded, PLATFORM)
    assert "new reports can be opened only with the recovery code" not in page(
        platform, "/staff/platform/")
    deactivate_officers(seeded, OFFICER1, OFFICER2)
    listing = page(platform, "/staff/platform/")
    row = listing.split("<code>utena</code>", 1)[1].split("</tr>", 1)[0]
    assert "new reports can be opened only with the recovery code" in row
    other = listing.split("<code>birzai</code>", 1)[1].split("</tr>", 1)[0]
    assert "recovery code" not in other
