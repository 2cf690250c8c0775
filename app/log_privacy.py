"""Keep client addresses out of every log line, whatever a library decides to log.

gunicorn writes "Invalid request from ip=..." as a warning for malformed requests, so turning
the access log off is not enough: every record passes through a filter that replaces IP
address literals, except the addresses the server itself listens on.
"""

import ipaddress
import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[address removed]"
# Candidates only; ipaddress decides, so times such as 13:35:58 are left alone.
_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]+")
_TRAILER = re.compile(r"[:.]?\d*[:.]*")


def redact_addresses(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Replace every IPv4/IPv6 literal in the text that is not in ``keep``."""

    def replace(match: re.Match) -> str:
        found = match.group(0)
        # The longest valid address at the start of the match, perhaps followed by a port.
        for end in range(len(found), 0, -1):
            if not _TRAILER.fullmatch(found[end:]):
                continue
            try:
                ipaddress.ip_address(found[:end])
            except ValueError:
                continue
            return found if found[:end] in keep else REDACTED + found[end:]
        return found

    return _CANDIDATE.sub(replace, text)


class AddressRedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message without client addresses."""

    def __init__(self, keep: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.keep = keep

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_addresses(record.getMessage(), self.keep)
        record.args = None
        return True


class AddressFreeLogger(GunicornLogger):
    """gunicorn's logger with the filter on its error log (its access log stays off)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        own = frozenset(address.rsplit(":", 1)[0].strip("[]") for address in cfg.bind)
        for log in (self.error_log, self.access_log):
            log.addFilter(AddressRedactingFilter(keep=own))
