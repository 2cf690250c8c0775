"""Keep client addresses out of every log line, whatever a library decides to log.

gunicorn writes "Invalid request from ip=..." as a warning for malformed requests, so turning
the access log off is not enough: every record that reaches a handler passes through a filter
that replaces IP address literals (in the message and in any traceback), except the addresses
the server itself listens on. The filter sits on handlers, not loggers, so records of child
loggers and libraries are covered too.
"""

import ipaddress
import logging
import re

from flask import Flask, request
from flask.logging import default_handler
from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[address removed]"
# Runs of characters an address can consist of; ipaddress decides what inside them is one.
_RUN = re.compile(r"[0-9A-Fa-f:.]{2,}")
_SHORTEST_ADDRESS = 2  # "::"
_LONGEST_ADDRESS = 45  # "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _redact_run(run: str, keep: frozenset[str]) -> str:
    """Replace every address inside one run, trying each start and the longest end first."""
    out, start = [], 0
    while start < len(run):
        longest = min(len(run), start + _LONGEST_ADDRESS)
        for end in range(longest, start + _SHORTEST_ADDRESS - 1, -1):
            candidate = run[start:end]
            # Over-redaction beats a leak: "10.1.2.345" loses "10.1.2.34", keeps "5".
            if _is_address(candidate):
                out.append(candidate if candidate in keep else REDACTED)
                start = end
                break
        else:
            out.append(run[start])
            start += 1
    return "".join(out)


def redact_addresses(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Replace every IPv4/IPv6 literal in the text that is not in ``keep``."""
    return _RUN.sub(lambda match: _redact_run(match.group(0), keep), text)


class AddressRedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message and traceback."""

    def __init__(self, keep: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.keep = keep

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_addresses(record.getMessage(), self.keep)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_addresses(record.exc_text, self.keep)
        return True


def protect_handlers(handlers: list[logging.Handler], keep: frozenset[str] = frozenset()) -> None:
    """Put the filter on each handler once."""
    for handler in handlers:
        if not any(isinstance(f, AddressRedactingFilter) for f in handler.filters):
            handler.addFilter(AddressRedactingFilter(keep))


# Log lines carry the day, not the second: a timestamp next to an error on the report form
# would tell an investigator when a reporter was at work. Operators who need finer times for
# staff-side incidents have the audit log.
DATE_ONLY = "%Y-%m-%d"


def init_app(app: Flask) -> None:
    """Filter Flask's handler (the app and its child loggers) and the root logger's; log
    unexpected errors by endpoint, never by path (a path names the institution)."""
    protect_handlers([default_handler, *logging.getLogger().handlers])
    default_handler.setFormatter(
        logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s", DATE_ONLY))

    def log_exception(exc_info) -> None:
        app.logger.error("Exception in %s [%s]", request.endpoint, request.method,
                         exc_info=exc_info)

    app.log_exception = log_exception


class AddressFreeLogger(GunicornLogger):
    """gunicorn's logger with the filter on its handlers (its access log stays off), and
    dates without the time of day."""

    datefmt = f"[{DATE_ONLY}]"

    def setup(self, cfg) -> None:
        super().setup(cfg)
        own = frozenset(address.rsplit(":", 1)[0].strip("[]") for address in cfg.bind)
        protect_handlers([*self.error_log.handlers, *self.access_log.handlers], keep=own)
