"""Voice messages in the report form (issue 16): disguised when the form is checked, heard on
the check page, carried sealed to sending, stored as the disguised MP3 only, played by the
officers in the case page; a broken or oversized recording gets a clear message and keeps
everything else."""

import base64
import io
import re

import av
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, Report
from tests.helpers import (
    ANSWERS,
    csrf_token,
    mailbox_form,
    receipt_of,
    send_report,
    sign_in,
    text_of,
)
from tests.test_casework import OFFICER1, case_page, columns_containing, signed_in
from tests.test_voice import TAGS, recording, speech

FORM = "/i/utena/report?lang=en"
SEND = "/i/utena/report/send?lang=en"
AUDIO = re.compile(r'<audio controls preload="metadata" src="data:audio/mpeg;base64,([^"]+)"')
HIDDEN = re.compile(
    r'<input[^>]* name="(submission_token|voice_audio|voice_seal)"[^>]* value="([^"]*)"')


@pytest.fixture(scope="module")
def spoken() -> bytes:
    """An M4A from a phone, with the tags phones write (names, place, device)."""
    return recording(speech(), "m4a", TAGS)


def check(client, voice: bytes | None = None, name: str = "memo.m4a", **answers):
    """Step 1 with a recording: the check page, or the form again."""
    data = {"csrf_token": csrf_token(client, FORM), **ANSWERS, **answers}
    if voice is not None:
        data["voice"] = (io.BytesIO(voice), name)
    return client.post(FORM, data=data, content_type="multipart/form-data")


def carried(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


def send(client, page: str, **changes):
    """Step 2 from a check page, with the hidden fields it carries (or changed ones)."""
    data = {"csrf_token": csrf_token(client, FORM), **ANSWERS, **carried(page), **changes}
    return client.post(SEND, data=data, content_type="multipart/form-data")


def test_a_voice_message_is_disguised_heard_on_the_check_page_and_stored_disguised(
        seeded, spoken):
    reporter = seeded.test_client()

    checked = check(reporter, spoken, what_happened="See my voice message.")
    page = text_of(checked)
    heard = base64.b64decode(AUDIO.search(page).group(1))
    sent = send(reporter, page, what_happened="See my voice message.")

    assert checked.status_code == 200 and "Your voice message, disguised" in page
    with av.open(io.BytesIO(heard)) as container:  # an MP3, and nothing of the phone's
        assert container.format.name == "mp3" and not dict(container.metadata)
    assert spoken not in heard and b"Jonas" not in heard and b"iPhone" not in heard
    assert sent.status_code == 200 and receipt_of(sent)
    with seeded.app_context():
        report = db.session.scalars(select(Report)).one()
        assert len(db.session.scalars(select(Attachment)).all()) == 1
    officer = signed_in(seeded, OFFICER1)
    case = text_of(case_page(officer, report.ref))
    file_url = re.search(r'<audio controls preload="none" src="([^"]+)"', case).group(1)
    played = officer.get(file_url)
    assert played.status_code == 200 and played.mimetype == "audio/mpeg"
    assert played.data == heard  # the officers hear what the reporter heard
    assert "voice-message.mp3" in case and "pitch and timbre are changed" in case
    for marker in ("Jonas Jonaitis", "Petraitienė", "iPhone 15 Pro"):
        assert columns_containing(seeded, marker) == set()


def test_a_swapped_recording_is_refused_and_the_answers_are_kept(seeded, spoken):
    reporter = seeded.test_client()
    page = text_of(check(reporter, spoken, what_happened="Kept answer 81"))
    forged = base64.b64encode(spoken).decode()  # the undisguised original

    refused = send(reporter, page, voice_audio=forged, what_happened="Kept answer 81")

    assert refused.status_code == 400
    assert "Your voice message could not be checked. Add the recording again." in text_of(
        refused)
    assert "Kept answer 81" in text_of(refused)
    with seeded.app_context():
        assert db.session.scalars(select(Report)).first() is None


def test_another_browsers_sealed_recording_is_refused(seeded, spoken):
    theirs = carried(text_of(check(seeded.test_client(), spoken)))
    other = seeded.test_client()
    page = text_of(check(other))  # a check page of its own, without a recording

    refused = send(other, page, voice_audio=theirs["voice_audio"],
                   voice_seal=theirs["voice_seal"])

    assert refused.status_code == 400
    assert "Add the recording again" in text_of(refused)


@pytest.mark.parametrize(("voice", "message"), [
    (b"\x00\x01 not a recording at all" * 50,
     "We could not read this recording. It may be damaged, or in a format we do not accept"),
    (b"", None),  # an empty file input: no voice message, nothing to refuse
])
def test_a_broken_recording_is_explained_and_the_answers_are_kept(seeded, voice, message):
    reporter = seeded.test_client()

    answered = check(reporter, voice, what_happened="Kept answer 82")

    page = text_of(answered)
    if message is None:
        assert answered.status_code == 200 and AUDIO.search(page) is None
        return
    assert answered.status_code == 400
    assert message in page and "Kept answer 82" in page


def test_an_oversized_recording_is_refused_before_any_decoding(seeded):
    seeded.config["MAX_FILE_BYTES"] = 1000  # small, so that the test sends little
    reporter = seeded.test_client()

    answered = check(reporter, b"ID3" + b"\x00" * 1001, what_happened="Kept answer 83")

    assert answered.status_code == 400
    assert "The recording is larger than" in text_of(answered)
    assert "Kept answer 83" in text_of(answered)


def test_changing_the_answers_keeps_the_disguised_message_until_removed(seeded, spoken):
    reporter = seeded.test_client()
    page = text_of(check(reporter, spoken))
    hidden = carried(page)

    edited = reporter.post(FORM, data={"csrf_token": csrf_token(reporter, FORM), **ANSWERS,
                                       **hidden, "edit": "1"})
    again = check(reporter, None, voice_audio=hidden["voice_audio"],
                  voice_seal=hidden["voice_seal"])
    removed = check(reporter, None, voice_audio=hidden["voice_audio"],
                    voice_seal=hidden["voice_seal"], voice_remove="y")

    assert "A disguised voice message is attached." in text_of(edited)
    assert AUDIO.search(text_of(again))
    assert AUDIO.search(text_of(removed)) is None


def test_a_voice_message_from_the_mailbox_is_heard_first_then_sent_disguised(seeded,
                                                                             spoken):
    reporter = seeded.test_client()
    receipt = receipt_of(send_report(reporter, "utena"))
    sign_in(reporter, receipt)
    hidden = mailbox_form(reporter)

    heard = reporter.post("/mailbox/message?lang=en", data={
        **hidden, "text": "Listen, please.", "voice": (io.BytesIO(spoken), "memo.m4a")},
        content_type="multipart/form-data")
    page = text_of(heard)
    with seeded.app_context():  # not sent yet
        assert db.session.scalars(select(Attachment)).first() is None
    sent = reporter.post("/mailbox/message?lang=en", data={
        **hidden, "text": "Listen, please.", **carried(page)},
        content_type="multipart/form-data")

    assert heard.status_code == 200
    assert "Listen to your voice message before you send it" in page
    assert 'src="data:audio/mpeg;base64,' in page and "Listen, please." in page
    assert sent.status_code == 302
    with seeded.app_context():
        assert len(db.session.scalars(select(Attachment).where(
            Attachment.message_id.is_not(None))).all()) == 1
        ref = db.session.scalars(select(Report.ref)).one()
    case = text_of(case_page(signed_in(seeded, OFFICER1), ref))
    assert '<audio controls preload="none"' in case and "Listen, please." in case


def test_a_voice_message_alone_is_a_report_and_survives_a_missing_answer(seeded, spoken):
    reporter = seeded.test_client()

    missing = check(reporter, spoken, what_happened="", category="")  # no category chosen
    kept = carried(text_of(missing))
    checked = check(reporter, None, what_happened="", voice_audio=kept["voice_audio"],
                    voice_seal=kept["voice_seal"])
    sent = send(reporter, text_of(checked), what_happened="")

    assert "Choose what the report is about." in text_of(missing)
    assert "A disguised voice message is attached." in text_of(missing)
    assert AUDIO.search(text_of(checked))
    assert sent.status_code == 200 and receipt_of(sent)
    with seeded.app_context():
        assert db.session.scalars(select(Attachment)).one().report_id is not None


def test_the_mailbox_voice_message_can_be_removed_before_sending(seeded, spoken):
    reporter = seeded.test_client()
    sign_in(reporter, receipt_of(send_report(reporter, "utena")))
    hidden = mailbox_form(reporter)
    heard = text_of(reporter.post("/mailbox/message?lang=en", data={
        **hidden, "text": "Kept text 84", "voice": (io.BytesIO(spoken), "memo.m4a")},
        content_type="multipart/form-data"))

    removed = reporter.post("/mailbox/message?lang=en", data={
        **hidden, "text": "Kept text 84", **carried(heard), "voice_remove": "1"},
        content_type="multipart/form-data")

    page = text_of(removed)
    assert "Files you chose before" not in heard  # none were chosen
    assert removed.status_code == 200 and "Kept text 84" in page
    assert 'src="data:audio/mpeg' not in page and 'name="voice"' in page
    with seeded.app_context():
        assert db.session.scalars(select(Attachment)).first() is None  # nothing was sent
