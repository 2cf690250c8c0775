"""What one process takes on at once, so that a burst or slow uploads never close the channel.

gunicorn serves each request on a thread of its own (app/gunicorn_conf.py, docs/deploy.md
section 3), and a slow upload holds its thread while its body arrives: threads are many, so
that uploads over Tor wait on the network without taking what page views and health checks
need. What is bounded is memory, since uploads stay in memory only: every request body is
received first, before the request touches the database, within a budget of bytes for
bodies being received (UPLOAD_MEMORY_MB), and then cleaned and encrypted within a second one
(room for two more copies of the largest sending). A request that finds no room waits for
UPLOAD_WAIT_SECONDS, then is told the service is busy. Key derivations wait in a bounded line
(app/crypto/kdf.py, KDF_QUEUE_LIMIT), except for requests that carried files: their upload
may have taken minutes, and a busy answer would make the reporter send the files again.
"""

import threading

from flask import Flask, current_app, g, request
from werkzeug.exceptions import ServiceUnavailable

from app.crypto import kdf
from app.web.storage import busy_page

MB = 1024 * 1024
# A body this large carries files: its derivation waits in line however long it is.
PATIENT_BODY_BYTES = 256 * 1024


class BodiesBusy(ServiceUnavailable):
    """No room in memory for this request's body within the wait."""


class ByteBudget:
    """A number of bytes that requests reserve and give back, waiting while none is left."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self._changed = threading.Condition()

    def reserve(self, count: int, wait: float) -> int | None:
        """Take ``count`` bytes, waiting up to ``wait`` seconds; the bytes taken, or None when
        there was no room. A reservation larger than the whole budget is cut to it, so it
        can still pass alone."""
        count = min(count, self.size)
        with self._changed:
            if not self._changed.wait_for(lambda: self.free >= count, timeout=wait):
                return None
            self.free -= count
            return count

    def release(self, count: int) -> None:
        """Give back what :meth:`reserve` took."""
        with self._changed:
            self.free += count
            self._changed.notify_all()


def init_app(app: Flask) -> None:
    """Bound this process's derivation line and body memory; register the hooks (first, so
    that a body is received before anything else reads the database or the form)."""
    kdf.QUEUE.bound = app.config["KDF_QUEUE_LIMIT"]
    largest = app.config["MAX_CONTENT_LENGTH"]
    app.extensions["skaidra.bodies"] = (ByteBudget(app.config["UPLOAD_MEMORY_MB"] * MB),
                                        ByteBudget(2 * largest))
    app.before_request(receive_body)
    app.teardown_request(give_back_memory)
    app.register_error_handler(kdf.DerivationsBusy, busy_page)
    app.register_error_handler(BodiesBusy, _no_room)


def receive_body() -> None:
    """Reserve memory for the body, receive it whole, then reserve room to clean and encrypt
    it. Requests without a body pass straight on; bodies over MAX_CONTENT_LENGTH are left
    to the form parser, which refuses them (413) before reading."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    length = request.content_length
    largest = current_app.config["MAX_CONTENT_LENGTH"]
    if length is not None and length > largest:
        return
    length = largest if length is None else length  # chunked: assume the largest
    receiving, handling = current_app.extensions["skaidra.bodies"]
    wait = current_app.config["UPLOAD_WAIT_SECONDS"]
    g.body_reservations = []
    if length >= PATIENT_BODY_BYTES:
        g.patient = kdf.PATIENT.set(True)
    _reserve(receiving, length, wait)
    request.form  # noqa: B018  (parses the whole body now, into memory)
    _reserve(handling, 2 * length, wait)


def _reserve(budget: ByteBudget, count: int, wait: float) -> None:
    taken = budget.reserve(count, wait)
    if taken is None:
        raise BodiesBusy()
    g.body_reservations.append((budget, taken))


def give_back_memory(_error: BaseException | None = None) -> None:
    """Release this request's reservations, however it ended."""
    for budget, count in g.pop("body_reservations", []):
        budget.release(count)
    if "patient" in g:  # threads serve one request after another
        kdf.PATIENT.reset(g.pop("patient"))


def _no_room(error: BodiesBusy):
    response = busy_page(error)
    # The body was not read: the connection cannot carry another request.
    response.headers["Connection"] = "close"
    return response
