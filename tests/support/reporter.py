"""A reporter's browser, reduced to the standard library: cookies, forms and files over HTTP.

Used against real gunicorn, optionally from another loopback source address, so tests can
check what the server keeps of a client.
"""

import http.client
import http.cookiejar
import re
import urllib.error
import urllib.request
import uuid
from functools import partial

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')
# Seven groups of four digits today; the pattern also reads the four groups of older receipts.
RECEIPT = re.compile(r'class="receipt"><strong>(\d{4}(?: \d{4})+)</strong>')

REPORT_ANSWERS = {
    "category": "bribery",
    "what_happened": "An official asked for money to speed up a permit.",
    "reported_elsewhere": "no",
    "urgency": "normal",
    "identity_choice": "anonymous",
}


# The disguised voice message a check page carries on to sending (tests/test_voice_messages.py).
VOICE_FIELD = re.compile(r'<input type="hidden" name="(voice_audio|voice_seal)" value="([^"]*)">')


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """Encode form fields and (field, file name, bytes) files as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     .encode() + value.encode() + b"\r\n")
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class _SourceBoundHandler(urllib.request.HTTPHandler):
    def __init__(self, source_address: str) -> None:
        super().__init__()
        self.source_address = source_address

    def http_open(self, req):
        return self.do_open(partial(http.client.HTTPConnection,
                                    source_address=(self.source_address, 0)), req)


class Reporter:
    """One browser: its own cookies, optional source address and user agent."""

    def __init__(self, base_url: str, *, source_address: str | None = None,
                 user_agent: str = "Mozilla/5.0") -> None:
        self.base_url = base_url
        handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())]
        if source_address:
            handlers.append(_SourceBoundHandler(source_address))
        self.opener = urllib.request.build_opener(*handlers)
        self.user_agent = user_agent

    def request(self, path: str, data: bytes | None = None,
                content_type: str | None = None) -> tuple[int, str]:
        """Status and body text of a GET (or a POST when data is given)."""
        request = urllib.request.Request(self.base_url + path, data=data)
        request.add_header("User-Agent", self.user_agent)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def post(self, path: str, fields: dict[str, str],
             files: list[tuple[str, str, bytes]] = ()) -> tuple[int, str]:
        """A multipart POST, as a browser sends a form with file inputs."""
        body, content_type = multipart(fields, list(files))
        return self.request(path, body, content_type)

    def submit_report(self, slug: str, answers: dict[str, str],
                      files: list[tuple[str, bytes]] = (), voice: bytes | None = None) -> str:
        """Fill in, check and send a report, with a voice recording if given (disguised at
        the check step, carried to sending); returns the receipt."""
        _status, page = self.request(f"/i/{slug}/report?lang=en")
        fields = {"csrf_token": CSRF.search(page).group(1), **answers}
        recording = [("voice", "memo.m4a", voice)] if voice is not None else []
        status, page = self.post(f"/i/{slug}/report", fields, recording)
        assert status == 200 and SUBMISSION.search(page), page
        fields["submission_token"] = SUBMISSION.search(page).group(1)
        carried = dict(VOICE_FIELD.findall(page))
        assert voice is None or carried.keys() == {"voice_audio", "voice_seal"}, page
        fields.update(carried)
        status, page = self.post(f"/i/{slug}/report/send", fields,
                                 [("attachments", name, data) for name, data in files])
        assert status == 200 and RECEIPT.search(page), page
        return RECEIPT.search(page).group(1)

    def try_sign_in(self, receipt: str, lang: str | None = None) -> tuple[int, str]:
        """Type a receipt into the mailbox sign-in form; status and page, whatever happens."""
        path = f"/mailbox/?lang={lang}" if lang else "/mailbox/"
        _status, page = self.request(path)
        return self.post(path, {"csrf_token": CSRF.search(page).group(1), "receipt": receipt})

    def sign_in(self, receipt: str) -> str:
        """Open the mailbox with a receipt; returns the mailbox page."""
        status, page = self.try_sign_in(receipt)
        assert status == 200 and "sign-out" in page, page
        return page

    def send_message(self, text: str, files: list[tuple[str, bytes]] = ()) -> str:
        """Write to the officers from the open mailbox; returns the mailbox page."""
        _status, page = self.request("/mailbox/")
        status, page = self.post("/mailbox/message",
                                 {"csrf_token": CSRF.search(page).group(1),
                                  "submission_token": SUBMISSION.search(page).group(1),
                                  "text": text},
                                 [("attachments", name, data) for name, data in files])
        assert status == 200 and text in page, page
        return page
