"""gunicorn's threaded worker, with connections closed off its event loop.

gunicorn 27 closes a connection that is not kept alive "gracefully" (RFC 9112 section
9.6): it half-closes, then waits up to 2 s for the client to close too, and it does so on
the worker's one event-loop thread. A client that does not close (a script holding an
error response, a stalled Tor circuit, an attacker) then freezes the whole process for
2 s: no connection is accepted and no finished request is handed on, so health checks and
page views time out during a burst. Here the same graceful close runs on a small pool of
threads of its own, and the event loop goes on at once.
"""

from concurrent.futures import ThreadPoolExecutor

from gunicorn.workers.gthread import ThreadWorker

# Each close waits at most 2 s; more closes than this at once wait their turn here, while
# the event loop, the sockets' accept and every request go on.
CLOSING_THREADS = 16


class Worker(ThreadWorker):
    """``gthread`` whose graceful closes never block the event loop."""

    def init_process(self) -> None:
        self.closer = ThreadPoolExecutor(max_workers=CLOSING_THREADS,
                                         thread_name_prefix="closing")
        super().init_process()

    def finish_request(self, conn, fs) -> None:
        close = conn.close

        def close_elsewhere(graceful: bool = False) -> None:
            if graceful:
                self.closer.submit(close, graceful=True)
            else:
                close()

        conn.close = close_elsewhere
        super().finish_request(conn, fs)
