"""No client IP address or user agent is written to the logs or the database.

Requests come from the source address 127.0.0.2 (the server listens on 127.0.0.1), so any
occurrence of that address in what the server wrote can only be the client's.
"""

import socket
import time
from pathlib import Path

from app.log_privacy import REDACTED

CLIENT_ADDRESS = "127.0.0.2"
FORWARDED_ADDRESS = "203.0.113.77"
AGENT = "SkaidraCanaryAgent/9.9"


def send_raw(port: int, payload: bytes) -> bytes:
    """Send bytes from CLIENT_ADDRESS and return what the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10,
                                  source_address=(CLIENT_ADDRESS, 0)) as connection:
        connection.sendall(payload)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request(method: str, path: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"User-Agent: {AGENT}",
             f"X-Forwarded-For: {FORWARDED_ADDRESS}", f"X-Real-IP: {FORWARDED_ADDRESS}",
             f"Forwarded: for={FORWARDED_ADDRESS}", "Connection: close",
             f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def stored_bytes(database_url: str) -> bytes:
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_requests_leave_no_client_address_or_user_agent_in_logs_or_database(served):
    answers = [
        send_raw(served.port, request("GET", "/")),
        send_raw(served.port, request("GET", "/i/birzai/?lang=en")),
        send_raw(served.port, request("GET", "/no-such-page")),
        send_raw(served.port, request("POST", "/staff/login", b"email=a%40b.org&password=x",
                                      Content_Type="application/x-www-form-urlencoded")),
        send_raw(served.port, request("DELETE", "/healthz")),
        send_raw(served.port, b"THIS IS NOT HTTP\r\n\r\n"),
        send_raw(served.port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n"),
    ]
    statuses = [answer.split(b"\r\n", 1)[0] for answer in answers]
    assert statuses[0].endswith(b"200 OK")
    assert statuses[2].endswith(b"404 NOT FOUND")
    assert statuses[3].endswith(b"400 BAD REQUEST")
    assert statuses[5].startswith(b"HTTP/1.1 400")
    time.sleep(0.5)  # let gunicorn finish writing its log lines
    log = served.log()
    stored = stored_bytes(served.env["DATABASE_URL"])
    for marker in (CLIENT_ADDRESS, FORWARDED_ADDRESS, AGENT):
        assert marker not in log, marker
        assert marker.encode() not in stored, marker
    assert "Booting worker" in log  # the log being read is the real one
    assert REDACTED in log  # gunicorn did try to log the malformed request's address
