"""The log filter removes IP addresses and leaves everything else alone."""

import logging

from hypothesis import given
from hypothesis import strategies as st

from app.log_privacy import REDACTED, AddressRedactingFilter, redact_addresses


@given(st.ip_addresses())
def test_any_address_is_removed(address):
    line = f"Invalid request from ip={address}: Invalid HTTP request line"
    assert str(address) not in redact_addresses(line)
    assert REDACTED in redact_addresses(line)


def test_times_versions_and_own_bind_address_are_kept():
    line = "Listening at: http://127.0.0.1:8000 (12) at 13:35:58, gunicorn 27.0.1"
    assert redact_addresses(line, keep=frozenset({"127.0.0.1"})) == line


def test_filter_rewrites_formatted_records():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "from %s", ("10.1.2.3",), None)
    AddressRedactingFilter().filter(record)
    assert record.getMessage() == f"from {REDACTED}"


def test_address_with_port_is_removed_but_port_kept():
    assert redact_addresses("peer 10.1.2.3:5555 closed") == f"peer {REDACTED}:5555 closed"
