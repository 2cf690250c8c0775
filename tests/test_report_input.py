"""Bad input on the report form: a clear, translated error, nothing lost, nothing stored."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, Report
from app.services.reporting.intake import MAX_LONG_TEXT, MAX_SHORT_TEXT, MAX_TEXT
from tests.helpers import (
    ANSWERS,
    CSRF,
    SUBMISSION,
    catalogue_translation,
    check_report,
    csrf_token,
    seed,
    send_report,
    text_of,
)
from tests.support.reporter import multipart

TEXT_FIELDS = {
    "what_happened": MAX_LONG_TEXT,
    "when_where": MAX_TEXT,
    "people_involved": MAX_TEXT,
    "how_known": MAX_TEXT,
    "elsewhere_details": MAX_TEXT,
    "name": MAX_SHORT_TEXT,
    "contact": MAX_SHORT_TEXT,
}
# Answers under which every text field is in use (confidential, reported elsewhere).
ALL_FIELDS_USED = {"identity_choice": "confidential", "name": "Ona", "contact": "ona@example.org",
                   "reported_elsewhere": "yes", "elsewhere_details": "To my manager"}


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Report)),
                db.session.scalar(select(func.count()).select_from(Attachment)))


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_oversized_answer_is_refused_with_its_limit(seeded, field):
    answers = {**ALL_FIELDS_USED, field: "x" * (TEXT_FIELDS[field] + 1)}
    with check_report(seeded.test_client(), **answers) as response:
        page = text_of(response)
    assert "Check your report" not in page
    assert f"at most {TEXT_FIELDS[field]} characters" in page
    assert stored(seeded) == (0, 0)


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("bad", ["null\x00byte", "bell\x07", "escape\x1b[31m", "c1\x85",
                                 "undecodable\ufffd"])
def test_control_characters_and_undecodable_bytes_are_refused(seeded, field, bad):
    with check_report(seeded.test_client(), **{**ALL_FIELDS_USED, field: bad}) as response:
        page = text_of(response)
    assert "invisible control characters or characters that could not be read" in page
    assert stored(seeded) == (0, 0)


def test_bytes_that_are_not_utf8_are_refused(seeded):
    client = seeded.test_client()
    fields = {"csrf_token": csrf_token(client, "/i/utena/report"), **ANSWERS}
    parts = [f'--B\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items() if name != "what_happened"]
    parts.append(b'--B\r\nContent-Disposition: form-data; name="what_happened"\r\n\r\n'
                 b"caf\xe9 \xff\xfe latin-1\r\n--B--\r\n")
    with client.post("/i/utena/report?lang=en", data=b"".join(parts),
                     content_type="multipart/form-data; boundary=B") as response:
        assert "could not be read" in text_of(response)
    assert stored(seeded) == (0, 0)


def test_percent_escapes_that_are_not_utf8_stay_literal_text(seeded):
    client = seeded.test_client()
    body = (f"csrf_token={csrf_token(client, '/i/utena/report')}&category=bribery"
            "&what_happened=caf%E9&reported_elsewhere=no&urgency=normal"
            "&identity_choice=anonymous").encode()
    with client.post("/i/utena/report?lang=en", data=body,
                     content_type="application/x-www-form-urlencoded") as response:
        assert "caf%E9" in text_of(response)  # shown back as typed, nothing garbled


def test_word_line_breaks_are_kept_as_line_breaks(seeded):
    with check_report(seeded.test_client(), what_happened="one\x0btwo\x0cthree") as response:
        assert "one\ntwo\nthree" in text_of(response)


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_html_and_script_are_shown_as_text_never_as_markup(seeded, field):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'
    with check_report(seeded.test_client(), **{**ALL_FIELDS_USED, field: hostile}) as response:
        page = text_of(response)
    assert "Check your report" in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_right_to_left_text_is_accepted_and_isolated(seeded):
    text = "\u05e9\u05dc\u05d5\u05dd \u202eevil\u202c and \u0645\u0631\u062d\u0628\u0627"
    with check_report(seeded.test_client(), what_happened=text) as response:
        page = text_of(response)
    assert text in page
    assert 'dir="auto">' + text in page


@pytest.mark.parametrize(("answers", "message"), [
    ({"what_happened": ""}, "Describe what happened, or add a voice message."),
    ({"what_happened": "   \n "}, "Describe what happened, or add a voice message."),
    ({"category": ""}, "Choose what the report is about."),
    ({"category": "espionage"}, "Not a valid choice"),
    ({"urgency": "panic"}, "Not a valid choice"),
    ({"identity_choice": "public"}, "Not a valid choice"),
    ({"reported_elsewhere": "yes", "elsewhere_details": ""}, "Say where you reported it."),
    ({"identity_choice": "confidential"}, "Give a way to contact you"),
    ({"website": "http://spam.example"}, "If a program fills in forms for you"),
])
def test_invalid_answers_are_explained(seeded, answers, message):
    with check_report(seeded.test_client(), **answers) as response:
        page = text_of(response)
    assert "Check your report" not in page
    assert message in page
    assert stored(seeded) == (0, 0)


def test_errors_are_translated(seeded):
    client = seeded.test_client()
    data = {"csrf_token": csrf_token(client, "/i/utena/report?lang=nb"), **ANSWERS,
            "what_happened": ""}
    with client.post("/i/utena/report?lang=nb", data=data) as response:
        page = text_of(response)
    assert catalogue_translation("Describe what happened, or add a voice message.", "nb") in page


@pytest.mark.parametrize("path", ["/i/utena/report", "/i/utena/report/send"])
def test_missing_csrf_token_keeps_every_answer_and_stores_nothing(seeded, path):
    client = seeded.test_client()
    client.get("/i/utena/report")
    data = {**ANSWERS, "when_where": "Town hall", "submission_token": "abc"}
    with client.post(f"{path}?lang=en", data=data) as response:
        page = text_of(response)
    assert "this form had to be renewed" in page
    assert ANSWERS["what_happened"] in page and "Town hall" in page
    assert stored(seeded) == (0, 0)


def test_expired_session_keeps_every_answer(seeded):
    client = seeded.test_client()
    token = csrf_token(client, "/i/utena/report")
    client.delete_cookie("skaidra_session")  # the browser session ended meanwhile
    with client.post("/i/utena/report?lang=en", data={"csrf_token": token, **ANSWERS}) as page:
        assert "this form had to be renewed" in text_of(page)
        assert ANSWERS["what_happened"] in text_of(page)


def test_file_over_the_limit_is_refused_on_the_check_page_with_answers_kept(make_app):
    app = make_app(MAX_FILE_BYTES=1000)
    seed(app)
    with send_report(app.test_client(), when_where="Kaunas",
                     files=[("big.bin", b"x" * 1001)]) as response:
        page = text_of(response)
    assert "Check your report" in page
    assert "The file “big.bin” is larger than" in page
    assert 'name="when_where" value="Kaunas"' in page
    assert stored(app) == (0, 0)


def test_unreadable_picture_is_refused_and_nothing_is_stored(seeded):
    with send_report(seeded.test_client(),
                     files=[("ok.txt", b"fine"), ("photo.jpg", b"\xff\xd8\xff\xe0broken")]) as r:
        page = text_of(r)
    assert "We could not read “photo.jpg”" in page or "photo.jpg" in page
    assert stored(seeded) == (0, 0)


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/passwd", "passwd"),
    # Werkzeug's multipart parser already drops the backslashes of old browsers' full paths.
    ("C:\\Users\\jonas\\Desktop\\evidence.txt", "evidence.txt"),
    ("invoice\u202etxt.exe", "invoicetxt.exe"),
    ("<script>x</script>.txt", "script_.txt"),  # "/" ends a path, "<>" become "_"
    ("..", "file"),
])
def test_hostile_file_names_are_made_harmless(seeded, sent, kept):
    with send_report(seeded.test_client(), files=[(sent, b"content")]) as response:
        page = text_of(response)
    assert response.status_code == 200
    shown = re.search(r'<span class="filename" dir="auto">([^<]*)</span>', page).group(1)
    assert shown.endswith(kept)
    assert not set(shown) & set("/\\<>:\u202e")


def test_request_larger_than_the_limit_gets_the_translated_413_page(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2048)
    seed(app)
    with send_report(app.test_client(), files=[("big.bin", b"x" * 4096)]) as response:
        assert response.status_code == 413
        assert "Too much data" in text_of(response)
    assert stored(app) == (0, 0)


def test_malformed_multipart_body_gets_a_translated_error_and_stores_nothing(seeded):
    client = seeded.test_client()
    with check_report(client) as checked:
        token = SUBMISSION.search(text_of(checked)).group(1)
    body = (b"--XYZ\r\nContent-Disposition: form-data; name=\"submission_token\"\r\n\r\n"
            + token.encode() + b"\r\n--XYZ\r\nContent-Disposition: form-data; name=\"att")
    with client.post("/i/utena/report/send?lang=en", data=body,
                     content_type="multipart/form-data; boundary=XYZ") as response:
        assert response.status_code in (200, 400)
        assert "<html" in text_of(response) and "Traceback" not in text_of(response)
    assert stored(seeded) == (0, 0)


def test_unknown_institution_is_a_404(seeded):
    with seeded.test_client().get("/i/no-such-place/report?lang=en") as response:
        assert response.status_code == 404
        assert "Page not found" in text_of(response)


def test_uploads_never_touch_the_temporary_directory(seeded, monkeypatch):
    import tempfile

    from werkzeug import formparser

    def refuse(*_args, **_kwargs):
        raise AssertionError("an upload was about to be written to a temporary file")

    # Werkzeug spools uploads over 500 KB through these names; each is made to refuse.
    for module, name in [(formparser, "SpooledTemporaryFile"), (formparser, "TemporaryFile"),
                         (tempfile, "SpooledTemporaryFile"), (tempfile, "TemporaryFile"),
                         (tempfile, "NamedTemporaryFile"), (tempfile, "mkstemp")]:
        monkeypatch.setattr(module, name, refuse, raising=False)
    client = seeded.test_client()
    with check_report(client) as checked:
        page = text_of(checked)
    fields = {"csrf_token": CSRF.search(page).group(1), **ANSWERS,
              "submission_token": SUBMISSION.search(page).group(1)}
    # The body is built here, in memory: the test client would spool a large one itself.
    body, content_type = multipart(fields, [("attachments", "big.bin", b"A" * 3_000_000)])
    with client.post("/i/utena/report/send?lang=en", data=body,
                     content_type=content_type) as response:
        assert response.status_code == 200, text_of(response)
    assert stored(seeded) == (1, 1)
