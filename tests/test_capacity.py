"""A burst or slow uploads never close the channel: key derivations wait in a bounded line,
past which a request is told "busy" at once with what was typed kept; request bodies are
received within a memory budget; slow uploads hold neither the threads nor the database
connections that page views need."""

import html
import io
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager

import pytest

from app.crypto import kdf
from app.crypto.kdf import DerivationQueue, DerivationsBusy
from app.web.capacity import ByteBudget
from tests.helpers import (
    CSRF,
    SUBMISSION,
    check_report,
    csrf_token,
    receipt_of,
    seed,
    send_report,
    text_of,
)
from tests.test_nothing_lost import HIDDEN, reports


@contextmanager
def line_full(app):
    """No derivation may wait (KDF_QUEUE_LIMIT=0) while this test holds the running one."""
    kdf.QUEUE.bound = 0
    try:
        with kdf.QUEUE.turn():
            yield
    finally:
        kdf.QUEUE.bound = app.config["KDF_QUEUE_LIMIT"]


def test_the_line_admits_its_bound_and_refuses_the_next_unless_patient():
    line = DerivationQueue()
    line.bound = 1
    running, released = threading.Event(), threading.Event()
    finished = []

    def derivation(patient: bool = False):
        kdf.PATIENT.set(patient)  # each thread has a context of its own
        with line.turn():
            running.set()
            released.wait(10)
        finished.append(patient)

    def queued(count: int) -> bool:
        deadline = time.monotonic() + 10
        while line.queued < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return line.queued == count

    threads = [threading.Thread(target=derivation)]
    threads[0].start()
    assert running.wait(10)
    threads.append(threading.Thread(target=derivation))
    threads[1].start()
    assert queued(2), "one derivation runs, one waits"
    with pytest.raises(DerivationsBusy), line.turn():
        pass
    threads.append(threading.Thread(target=derivation, args=(True,)))
    threads[2].start()
    assert queued(3), "a patient derivation waits however long the line"
    released.set()
    for thread in threads:
        thread.join(10)
    assert sorted(finished) == [False, False, True] and line.queued == 0


def check_page(client, **answers) -> tuple[str, dict[str, str]]:
    with check_report(client, **answers) as checked:
        page = text_of(checked)
    return page, {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def sent_in_a_burst(app, client, **answers):
    """A report sent while the line is full: the 503 page and the fields to send again."""
    page, fields = check_page(client, **answers)
    data = {**fields, "csrf_token": CSRF.search(page).group(1),
            "submission_token": SUBMISSION.search(page).group(1)}
    with line_full(app), client.post("/i/utena/report/send?lang=en", data=data,
                                     content_type="multipart/form-data") as response:
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"
        again = text_of(response)
    return again, {**data, "submission_token": SUBMISSION.search(again).group(1)}


def test_a_report_sent_while_the_line_is_full_is_answered_busy_with_everything_kept(seeded):
    client = seeded.test_client()
    again, data = sent_in_a_burst(seeded, client, what_happened="Sent in a burst <b>b</b>")

    assert "Many people are sending at this moment" in again
    assert "Sent in a burst &lt;b&gt;b&lt;/b&gt;" in again and "<b>b</b>" not in again
    assert reports(seeded) == 0
    with client.post("/i/utena/report/send?lang=en", data=data,
                     content_type="multipart/form-data") as response:
        assert response.status_code == 200, "sent again once the line has room"
        assert receipt_of(response)
    assert reports(seeded) == 1


def test_a_report_with_files_waits_in_a_full_line_instead_of_being_refused(seeded):
    client = seeded.test_client()
    page, fields = check_page(client, what_happened="Sent with a scan")
    data = {**fields, "csrf_token": CSRF.search(page).group(1),
            "submission_token": SUBMISSION.search(page).group(1),
            "attachments": [(io.BytesIO(b"%" * (300 * 1024)), "scan.txt")]}
    kdf.QUEUE.bound = 0
    held, release = threading.Event(), threading.Event()

    def hold():
        with kdf.QUEUE.turn():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        threading.Timer(0.5, release.set).start()
        with client.post("/i/utena/report/send?lang=en", data=data,
                         content_type="multipart/form-data") as response:
            assert response.status_code == 200, "an upload is not sent back for a busy line"
            assert receipt_of(response)
    finally:
        release.set()
        holder.join(10)
        kdf.QUEUE.bound = seeded.config["KDF_QUEUE_LIMIT"]
    assert reports(seeded) == 1


def test_a_mailbox_sign_in_while_the_line_is_full_keeps_the_message(seeded):
    with send_report(seeded.test_client()) as response:
        receipt = receipt_of(response)
    client = seeded.test_client()
    with line_full(seeded), client.post("/mailbox/?lang=en", data={
            "csrf_token": csrf_token(client), "receipt": receipt,
            "pending_message": "Written before the session ended"}) as response:
        page = text_of(response)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"
    assert "so the mailbox could not be opened" in page
    assert 'value="Written before the session ended"' in page
    assert receipt not in page


def test_a_staff_sign_in_while_the_line_is_full_is_told_to_come_back(seeded):
    client = seeded.test_client()
    with client.get("/staff/login?lang=en") as response:
        token = CSRF.search(text_of(response)).group(1)
    with line_full(seeded), client.post("/staff/login?lang=en", data={
            "csrf_token": token, "email": "officer1.utena@demo.example.org",
            "password": "any password is derived"}) as response:
        page = text_of(response)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"
    assert "The service is busy" in page and "Back button" in page


def test_a_body_that_finds_no_room_in_memory_is_answered_busy_and_stores_nothing(make_app):
    app = make_app(UPLOAD_MEMORY_MB=1, UPLOAD_WAIT_SECONDS=0)
    seed(app)
    client = app.test_client()
    page, fields = check_page(client, what_happened="No room")
    data = {**fields, "csrf_token": CSRF.search(page).group(1),
            "submission_token": SUBMISSION.search(page).group(1)}
    receiving, _handling = app.extensions["skaidra.bodies"]
    assert receiving.reserve(receiving.size, wait=0)  # other uploads fill the budget
    try:
        with client.post("/i/utena/report/send?lang=en", data=data,
                         content_type="multipart/form-data") as response:
            assert response.status_code == 503
            assert response.headers["Connection"] == "close"
            assert response.headers["Retry-After"] == "10"
            assert "The service is busy" in text_of(response)
    finally:
        receiving.release(receiving.size)
    assert reports(app) == 0
    assert receiving.free == receiving.size, "a refused request gives back what it took"
    with client.post("/i/utena/report/send?lang=en", data=data,
                     content_type="multipart/form-data") as response:
        assert response.status_code == 200
        assert receipt_of(response), "sent again once there is room"
    assert receiving.free == receiving.size


def test_a_byte_budget_waits_for_room_and_gives_it_back():
    budget = ByteBudget(100)
    assert budget.reserve(150, wait=0) == 100, "a body larger than the budget passes alone"
    budget.release(100)
    assert budget.free == 100
    assert budget.reserve(80, wait=0) == 80
    assert budget.reserve(30, wait=0) is None
    threading.Timer(0.2, budget.release, args=(80,)).start()
    assert budget.reserve(30, wait=10), "room given back is taken by a waiting request"
    assert budget.free == 70


# --- through gunicorn as shipped --------------------------------------------------------

SLOW_UPLOADS = 40  # more than the 8 threads and 20 database connections of a node before


def test_slow_uploads_leave_threads_and_connections_for_pages(served):
    """Uploads whose bodies are still arriving hold a thread each, but no database
    connection: a page and the health check are answered meanwhile."""
    uploads = []
    try:
        for _ in range(SLOW_UPLOADS):
            conn = socket.create_connection(("127.0.0.1", served.port), timeout=30)
            conn.sendall(
                b"POST /i/utena/report/send?lang=en HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: multipart/form-data; boundary=b\r\n"
                 b"Content-Length: 1048576\r\n\r\n--b\r\n")
            uploads.append(conn)
        time.sleep(1)  # every upload has reached a thread and waits for its body
        for path in ("/i/utena?lang=en", "/healthz", "/mailbox/?lang=en"):
            # Timed out by the pool (30 s) or the client (20 s) if the uploads held them.
            with urllib.request.urlopen(served.base_url + path, timeout=20) as reply:
                assert reply.status == 200
    finally:
        for conn in uploads:
            conn.close()


def test_clients_that_never_close_do_not_stall_the_node(served):
    """gunicorn waits up to 2 s for a client to close a finished connection: on the
    worker's event loop, five such clients froze the node for 10 s (app/gunicorn_worker.py
    moves the wait off it)."""
    lingering = []
    # Everything below takes milliseconds on a node whose loop runs, 10 s if the loop waits.
    deadline = time.monotonic() + 4
    try:
        for _ in range(5):
            conn = socket.create_connection(("127.0.0.1", served.port), timeout=30)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            lingering.append(conn)
        for conn in lingering:  # each answer read whole; the connection is never closed
            with conn.makefile("rb") as reply:
                assert reply.readline().startswith(b"HTTP/1.1 200")
                headers = iter(reply.readline, b"\r\n")
                length = next(int(line.split(b":")[1]) for line in headers
                              if line.lower().startswith(b"content-length:"))
                for _line in headers:
                    pass
                assert len(reply.read(length)) == length
        with urllib.request.urlopen(f"{served.base_url}/healthz", timeout=4) as reply:
            assert reply.status == 200
        assert time.monotonic() < deadline, "the node stalled on clients that did not close"
    finally:
        for conn in lingering:
            conn.close()
