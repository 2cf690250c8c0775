"""The report form: two steps without JavaScript, sealed storage, the receipt shown once."""

import io
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Report, SealedKey, User
from app.services.casefile.content import file_bytes, file_view, read_content
from app.services.casefile.sealing import officer_data_key, recovery_data_key
from app.services.demo.network import demo_recovery_code
from tests.helpers import (
    ANSWERS,
    SUBMISSION,
    check_report,
    count,
    csrf_token,
    officer_private_key,
    receipt_of,
    send_report,
    text_of,
)


def only_report() -> Report:
    return db.session.scalars(select(Report)).one()


def test_landing_page_links_to_form_and_mailbox(seeded):
    with seeded.test_client().get("/i/utena/?lang=en") as response:
        page = text_of(response)
    assert 'href="/i/utena/report"' in page
    assert 'href="/mailbox/"' in page
    assert "Start the report form" in page


def test_form_offers_the_institutions_categories_and_needs_no_script(seeded):
    with seeded.test_client().get("/i/utena/report?lang=en") as response:
        page = text_of(response)
    assert response.status_code == 200
    assert "<script" not in page
    assert 'value="bribery"' in page and 'value="procurement"' in page
    assert re.search(r'<input checked [^>]*value="anonymous"', page)  # anonymous by default
    assert "Prosecutor General" in page  # Lithuanian institution: the status rule is explained


def test_valid_answers_lead_to_the_check_page_and_nothing_is_stored(seeded):
    client = seeded.test_client()
    with check_report(client, what_happened="A rigged tender for road repairs.") as response:
        page = text_of(response)
    assert "Check your report" in page
    assert "A rigged tender for road repairs." in page
    assert SUBMISSION.search(page)
    assert 'type="file"' in page
    assert count(seeded, Report) == 0


def test_sent_report_is_sealed_to_officers_and_recovery_key_and_opens_for_them(seeded):
    client = seeded.test_client()
    with send_report(client, files=[("minutes.txt", b"meeting minutes")]) as response:
        page = text_of(response)
    assert response.status_code == 200
    receipt = receipt_of(response)
    assert len(receipt.replace(" ", "")) == 28 and receipt.count(" ") == 6
    assert "cannot recover" in page or "Nobody can recover it" in page
    with seeded.app_context():
        report = only_report()
        holders = {key.user.email for key in report.sealed_keys}
        assert holders == {"officer1.utena@demo.example.org", "officer2.utena@demo.example.org"}
        officer, private_key = officer_private_key("officer1.utena@demo.example.org")
        data_key = officer_data_key(report, officer, private_key)
        content, identity = read_content(report, data_key)
        assert content["what_happened"] == ANSWERS["what_happened"]
        assert identity is None
        assert recovery_data_key(report, demo_recovery_code("utena")) == data_key
        attachment = report.attachments[0]
        assert file_view(report, data_key, attachment).name == "minutes.txt"
        assert file_bytes(report, data_key, attachment) == b"meeting minutes"


def test_admins_platform_admin_and_other_institutions_get_no_sealed_key(seeded):
    with send_report(seeded.test_client()):
        pass
    with seeded.app_context():
        holders = set(db.session.scalars(select(User.email).join(SealedKey)))
        assert holders and all(email.startswith("officer") and ".utena@" in email
                               for email in holders)
        admin, admin_key = officer_private_key("admin.utena@demo.example.org")
        assert officer_data_key(only_report(), admin, admin_key) is None


def test_anonymous_report_stores_no_identity_even_when_a_name_was_typed(seeded):
    with send_report(seeded.test_client(), name="Jonas Jonaitis", contact="j@example.org"):
        pass
    with send_report(seeded.test_client(), identity_choice="confidential", name="Ona",
                     contact="ona@example.org"):
        pass
    with seeded.app_context():
        officer, private_key = officer_private_key("officer1.utena@demo.example.org")
        anonymous, confidential = db.session.scalars(select(Report).order_by(Report.id))
        _content, identity = read_content(
            anonymous, officer_data_key(anonymous, officer, private_key))
        assert identity is None
        # Both rows hold an identity ciphertext of the same size: no column tells them apart.
        assert len(anonymous.identity) == len(confidential.identity)


def test_confidential_identity_is_encrypted_apart_from_the_report(seeded):
    with send_report(seeded.test_client(), identity_choice="confidential",
                     name="Ona Onaitė", contact="+370 600 00000", seeks_status="y"):
        pass
    with seeded.app_context():
        report = only_report()
        officer, private_key = officer_private_key("officer2.utena@demo.example.org")
        content, identity = read_content(report, officer_data_key(report, officer, private_key))
    assert identity == {"name": "Ona Onaitė", "contact": "+370 600 00000", "seeks_status": True}
    assert "Ona" not in str(content)


def test_receipt_page_says_what_was_removed_from_a_photo(seeded):
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (54.0, 41.0, 0.0)
    photo = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(photo, format="JPEG", exif=exif.tobytes())
    with send_report(seeded.test_client(), files=[("desk.jpg", photo.getvalue())]) as response:
        page = text_of(response)
    assert "desk.jpg" in page
    assert "location (GPS coordinates)" in page


def test_sending_the_check_page_twice_is_refused_and_stores_one_report(seeded):
    client = seeded.test_client()
    with check_report(client) as checked:
        page = text_of(checked)
    data = {"csrf_token": csrf_token(client, "/i/utena/report"), **ANSWERS,
            "submission_token": SUBMISSION.search(page).group(1)}
    with client.post("/i/utena/report/send?lang=en", data=data) as first:
        assert first.status_code == 200
    with client.post("/i/utena/report/send?lang=en", data=data) as second:
        assert second.status_code == 409
        assert "has been sent already" in text_of(second)
    assert count(seeded, Report) == 1


def test_report_is_stored_with_the_day_only(seeded):
    from app.services.casefile.deadlines import today

    with send_report(seeded.test_client()):
        pass
    with seeded.app_context():
        report = only_report()
        assert report.received_on == today()
        columns = {column.name: column.type.python_type for column in Report.__table__.columns}
    from datetime import datetime

    assert datetime not in columns.values()


def test_language_switcher_is_absent_from_pages_answering_a_form(seeded):
    client = seeded.test_client()
    with check_report(client) as checked:
        assert 'hreflang="nb"' not in text_of(checked)
    with client.get("/i/utena/report?lang=en") as form:
        assert 'hreflang="nb"' in text_of(form)


def test_edit_button_returns_to_the_form_with_every_answer(seeded):
    client = seeded.test_client()
    data = {"csrf_token": csrf_token(client, "/i/utena/report"), **ANSWERS,
            "when_where": "Town hall, March", "edit": "1"}
    with client.post("/i/utena/report?lang=en", data=data) as response:
        page = text_of(response)
    assert "Step 1 of 2" in page
    assert "Town hall, March" in page and ANSWERS["what_happened"] in page
    assert count(seeded, Report) == 0
