"""The log filter removes IP addresses and leaves everything else alone."""

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.log_privacy import REDACTED, AddressRedactingFilter, redact_addresses

TEXT = st.text(alphabet=st.sampled_from("abcdefxyz :=-_/[]()0123456789."), max_size=12)


@given(prefix=TEXT, address=st.ip_addresses(), suffix=TEXT)
def test_any_address_in_any_surroundings_is_removed(prefix, address, suffix):
    redacted = redact_addresses(f"{prefix}{address}{suffix}")
    assert REDACTED in redacted
    assert str(address) not in redacted.replace(REDACTED, " ")


@pytest.mark.parametrize("line", [
    "peer 10.1.2.3:Bad", "ip=10.1.2.3:a", "10.1.2.3:5555:eof", "abc10.1.2.3",
    "Invalid request from ip=::: Invalid HTTP request line", "from [2001:db8::7]:443",
])
def test_reviewers_leaks_are_closed(line):
    assert REDACTED in redact_addresses(line)


def test_times_versions_and_own_bind_address_are_kept():
    line = "Listening at: http://127.0.0.1:8000 (12) at 13:35:58, gunicorn 27.0.1"
    assert redact_addresses(line, keep=frozenset({"127.0.0.1"})) == line


def test_address_with_port_is_removed_but_port_kept():
    assert redact_addresses("peer 10.1.2.3:5555 closed") == f"peer {REDACTED}:5555 closed"


def test_filter_rewrites_formatted_records_and_tracebacks():
    try:
        raise ConnectionError("reset by 192.0.2.44")
    except ConnectionError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "from %s", ("10.1.2.3",),
                               exc_info)
    AddressRedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "10.1.2.3" not in formatted and "192.0.2.44" not in formatted
    assert formatted.startswith(f"from {REDACTED}")
