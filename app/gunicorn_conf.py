"""Shipped gunicorn settings: ``gunicorn -c python:app.gunicorn_conf wsgi:app``."""

import os

from config import Config

# memory:// (the default, which `make run` uses) keeps rate-limit counters inside one process:
# with two workers each would count alone and every limit would be doubled. So memory:// is
# served by one worker, and more workers need a store they all see (redis://).
RATE_LIMIT_STORAGE = Config.RATELIMIT_STORAGE_URI.strip() or "memory://"
COUNTS_PER_PROCESS = RATE_LIMIT_STORAGE.startswith("memory://")

DEFAULT_BIND = "127.0.0.1:8000"
# Addresses that mean "every interface": a browser reaches them through the loopback one.
ANY_HOST = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}  # noqa: S104


def bind_address() -> str:
    """Where gunicorn listens: SKAIDRA_BIND (host:port, [v6]:port or unix:path)."""
    return os.environ.get("SKAIDRA_BIND", "").strip() or DEFAULT_BIND


def listen_url(address: str | None = None) -> str:
    """The address a browser on this machine opens to reach ``address`` (the bind address
    when none is given); what `make run` and `flask invite` print. A Unix socket has no
    URL of its own and is named as it is."""
    address = address or bind_address()
    if address.startswith(("unix:", "fd://")):
        return address
    host, colon, port = address.rpartition(":")
    if not colon or host.endswith(":"):  # no port (gunicorn's default) or a bare IPv6 host
        host, port = address, "8000"
    return f"http://{ANY_HOST.get(host, host)}:{port}"


bind = bind_address()
workers = int(os.environ.get("WEB_CONCURRENCY", "1" if COUNTS_PER_PROCESS else "2"))
# A request holds its thread while its body arrives, and an upload over Tor (5 MB at 20 KB/s)
# takes minutes: threads are many, so that 200 such uploads still leave threads for page
# views and health checks. A waiting thread costs little (its stack is reserved, not used);
# what uploads cost is memory, which app/web/capacity.py bounds (UPLOAD_MEMORY_MB), and key
# derivations wait in a bounded line (KDF_QUEUE_LIMIT). docs/deploy.md section 3 explains.
worker_class = "app.gunicorn_worker.Worker"  # gthread, closing connections off its loop
threads = int(os.environ.get("SKAIDRA_THREADS", "256"))
timeout = 120


def _per_process_counts(count: int) -> str:
    return (f"RATELIMIT_STORAGE_URI is {RATE_LIMIT_STORAGE}, which counts rate limits in each "
            f"process on its own, so with {count} workers every limit would allow {count} times "
            "as many requests. Set RATELIMIT_STORAGE_URI to a store all workers share (e.g. "
            "redis://127.0.0.1:6379/0) or serve with one worker (WEB_CONCURRENCY=1).")


def on_starting(server) -> None:
    """Refuse to start several workers that would each count rate limits alone."""
    if COUNTS_PER_PROCESS and server.cfg.workers > 1:
        raise RuntimeError(_per_process_counts(server.cfg.workers))


def nworkers_changed(server, new_value: int, old_value: int | None) -> None:
    """Undo adding workers at run time (SIGTTIN, a reload) while counts are per process."""
    if COUNTS_PER_PROCESS and old_value is not None and new_value > 1:
        server.log.error(_per_process_counts(new_value))
        server.num_workers = old_value

# Access logs would record every reporter's address (gunicorn's %(h)s): they stay off, and the
# format leaves the address out should an operator switch them on. Error logs name no client.
accesslog = None
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# gunicorn itself logs the client address of malformed requests; this logger removes it.
logger_class = "app.log_privacy.AddressFreeLogger"
loglevel = "info"
capture_output = False
# Recent gunicorn versions open a control socket in ~/.gunicorn/; Skaidra needs none, and several
# instances on one machine would fight over the path.
control_socket_disable = True
# Never trust X-Forwarded-For or the PROXY protocol to carry client addresses into the app.
proxy_protocol = False
