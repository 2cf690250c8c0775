"""Reporter receipts: 28 digits with a typo check (16 on older ones), typed back in any shape,
whose keys cost one Argon2id run."""

import hashlib
import hmac
import math
import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.crypto.envelope import DecryptionError, new_data_key
from app.crypto.kdf import KdfCost, derive_key, new_salt
from app.crypto.receipts import (
    RANDOM_DIGITS,
    RECEIPT_PURPOSE,
    ReceiptKeys,
    check_digits,
    derive_receipt_keys,
    format_receipt,
    new_receipt,
    normalise_receipt,
    passes_typo_check,
    unwrap_for_reporter,
    wrap_for_reporter,
)
from app.crypto.staff_keys import PASSWORD_PURPOSE

CHEAP = KdfCost(memory_kib=8, iterations=1, lanes=1)
DIGITS = "0123456789"
FULL_WIDTH = {d: chr(0xFF10 + int(d)) for d in DIGITS}
SEPARATORS = [" ", "-", "\u00a0", "\t", "\u3000", "\u202f", "\uff0d"]
# Decimal digits of other scripts, which NFKC leaves alone: not receipt digits.
FOREIGN_ZEROS = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1040]

payloads = st.text(alphabet=DIGITS, min_size=26, max_size=26)
receipts = payloads.map(lambda payload: payload + check_digits(payload))
older_receipts = st.text(alphabet=DIGITS, min_size=16, max_size=16)
either_shape = st.one_of(receipts, older_receipts)
salts = st.binary(min_size=16, max_size=16)
refs = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


# --- Shape of a receipt ------------------------------------------------------------------------


def test_new_receipt_is_twenty_eight_ascii_digits_that_pass_the_typo_check():
    for _ in range(200):
        receipt = new_receipt()
        assert re.fullmatch(r"[0-9]{28}", receipt, flags=re.ASCII)
        assert passes_typo_check(receipt)


def test_new_receipt_has_at_least_80_random_bits_and_the_rest_is_its_check():
    sample = [new_receipt() for _ in range(3000)]
    # Each of the 26 random positions takes every digit (missing one in 3000 draws has a
    # chance below 10^-136), and the last two digits are a function of the others.
    for position in range(RANDOM_DIGITS):
        assert {receipt[position] for receipt in sample} == set(DIGITS), position
    assert all(receipt[RANDOM_DIGITS:] == check_digits(receipt[:RANDOM_DIGITS])
               for receipt in sample)
    assert RANDOM_DIGITS * math.log2(10) >= 80


def test_the_worked_example_of_the_security_document():
    payload = "12345678901234567890123456"
    assert check_digits(payload) == "27"
    assert format_receipt(payload + "27") == "1234 5678 9012 3456 7890 1234 5627"


def test_new_receipts_do_not_repeat():
    assert len({new_receipt() for _ in range(1000)}) == 1000


@settings(max_examples=100, deadline=None)
@given(receipt=receipts)
def test_formatted_receipt_is_seven_groups_of_four_digits(receipt):
    formatted = format_receipt(receipt)
    assert re.fullmatch(r"[0-9]{4}( [0-9]{4}){6}", formatted, flags=re.ASCII)
    assert formatted.replace(" ", "") == receipt


@settings(max_examples=50, deadline=None)
@given(receipt=older_receipts)
def test_older_receipt_is_still_read_as_four_groups_of_four_digits(receipt):
    assert re.fullmatch(r"[0-9]{4}( [0-9]{4}){3}", format_receipt(receipt), flags=re.ASCII)
    assert normalise_receipt(format_receipt(receipt)) == receipt


@settings(max_examples=100, deadline=None)
@given(receipt=either_shape)
def test_formatted_receipt_normalises_back_to_itself(receipt):
    assert normalise_receipt(format_receipt(receipt)) == receipt
    assert normalise_receipt(receipt) == receipt


# --- Typed back in any shape -----------------------------------------------------------------


@st.composite
def typed_receipts(draw):
    """A receipt as a person might type it back: separators anywhere, digits full-width."""
    receipt = draw(either_shape)
    separator = st.text(alphabet=st.sampled_from(SEPARATORS), max_size=3)
    typed = draw(separator)
    for digit in receipt:
        typed += FULL_WIDTH[digit] if draw(st.booleans()) else digit
        typed += draw(separator)
    return receipt, typed


@settings(max_examples=60, deadline=None)
@given(case=typed_receipts())
@example(case=("1234567890123456", "1234-5678-9012-3456"))
@example(case=("1234567890123456", "1234\u00a05678\u00a09012\u00a03456"))
@example(case=("1234567890123456", " 1234 5678 9012 3456\t"))
@example(case=("1234567890123456", "１２３４ ５６７８ ９０１２ ３４５６"))
@example(case=("1234567890123456789012345627", "1234-5678-9012-3456-7890-1234-5627"))
@example(case=("1234567890123456789012345627", "12345678\n90123456\n789012345627"))
def test_receipt_typed_with_spaces_hyphens_and_full_width_digits_is_accepted(case):
    receipt, typed = case
    assert normalise_receipt(typed) == receipt


@settings(max_examples=100, deadline=None)
@given(digits=st.text(alphabet=DIGITS, max_size=40).filter(lambda d: len(d) not in (16, 28)))
@example(digits="")
@example(digits="123456789012345")
@example(digits="12345678901234567")
@example(digits="123456789012345678901234")
@example(digits="123456789012345678901234562")
@example(digits="12345678901234567890123456270")
def test_wrong_number_of_digits_is_not_a_receipt(digits):
    assert normalise_receipt(digits) is None
    assert normalise_receipt(format_receipt(digits)) is None


@settings(max_examples=100, deadline=None)
@given(receipt=either_shape, data=st.data())
def test_a_letter_among_the_digits_is_not_a_receipt(receipt, data):
    position = data.draw(st.integers(0, len(receipt) - 1), label="position")
    letter = data.draw(st.characters(categories=["L"]), label="letter")
    typed = receipt[:position] + letter + receipt[position + 1:]
    assert normalise_receipt(typed) is None
    assert normalise_receipt(receipt[:position] + letter + receipt[position:]) is None


@settings(max_examples=100, deadline=None)
@given(receipt=either_shape, zero=st.sampled_from(FOREIGN_ZEROS), data=st.data())
def test_digits_of_other_scripts_are_not_receipt_digits(receipt, zero, data):
    position = data.draw(st.integers(0, len(receipt) - 1), label="position")
    foreign = chr(zero + int(receipt[position]))
    typed = receipt[:position] + foreign + receipt[position + 1:]
    assert normalise_receipt(typed) is None
    assert normalise_receipt("".join(chr(zero + int(d)) for d in receipt)) is None


@pytest.mark.parametrize("text", ["", " ", "-", "\u00a0", "    -    ", "\t\t"])
def test_blank_text_is_not_a_receipt(text):
    assert normalise_receipt(text) is None


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=40))
def test_anything_normalise_accepts_is_twenty_eight_or_sixteen_ascii_digits(text):
    normalised = normalise_receipt(text)
    assert normalised is None or re.fullmatch(r"[0-9]{28}|[0-9]{16}", normalised,
                                              flags=re.ASCII)


# --- The typo check ------------------------------------------------------------------------


def substitutions(receipt: str):
    """The receipt with any one digit typed as any other."""
    for position, digit in enumerate(receipt):
        for other in DIGITS.replace(digit, ""):
            yield receipt[:position] + other + receipt[position + 1:]


def swaps(receipt: str, distance: int):
    """The receipt with two digits `distance` apart typed in each other's place."""
    for i in range(len(receipt) - distance):
        j = i + distance
        if receipt[i] != receipt[j]:
            yield receipt[:i] + receipt[j] + receipt[i + 1:j] + receipt[i] + receipt[j + 1:]


@settings(max_examples=300, deadline=None)
@given(receipt=receipts)
@example(receipt="1234567890123456789012345627")
@example(receipt="0000000000000000000000000098")
def test_every_single_digit_substitution_is_caught(receipt):
    assert passes_typo_check(receipt)
    mistyped = list(substitutions(receipt))
    assert len(mistyped) == 28 * 9
    assert not any(passes_typo_check(typed) for typed in mistyped)


@settings(max_examples=300, deadline=None)
@given(receipt=receipts)
@example(receipt="1234567890123456789012345627")
def test_every_swap_of_neighbouring_digits_is_caught(receipt):
    assert not any(passes_typo_check(typed) for typed in swaps(receipt, 1))


@settings(max_examples=200, deadline=None)
@given(receipt=receipts)
def test_every_swap_across_one_digit_is_caught(receipt):
    assert not any(passes_typo_check(typed) for typed in swaps(receipt, 2))


@settings(max_examples=200, deadline=None)
@given(payload=payloads, data=st.data())
def test_a_doubled_digit_typed_as_another_doubled_digit_is_caught(payload, data):
    position = data.draw(st.integers(0, RANDOM_DIGITS - 2), label="position")
    payload = payload[:position + 1] + payload[position] + payload[position + 2:]
    receipt = payload + check_digits(payload)
    for other in DIGITS.replace(receipt[position], ""):
        assert not passes_typo_check(receipt[:position] + other * 2 + receipt[position + 2:])


@settings(max_examples=100, deadline=None)
@given(receipt=older_receipts)
def test_an_older_receipt_has_no_check_digits_and_always_passes(receipt):
    assert passes_typo_check(receipt)


def test_check_digits_reject_about_96_of_97_random_receipts():
    rejected = sum(not passes_typo_check(f"{n:028d}") for n in range(97 * 100))
    assert rejected == 96 * 100


# --- Keys derived from a receipt ----------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts)
def test_receipt_keys_are_deterministic_and_locator_is_not_the_wrapping_key(receipt, salt):
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    assert derive_receipt_keys(receipt, salt, CHEAP) == keys
    assert len(keys.locator) == len(keys.wrapping_key) == 32
    assert keys.locator != keys.wrapping_key


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, other=receipts, salt=salts)
def test_different_receipts_have_different_locators(receipt, other, salt):
    assume(other != receipt)
    mine = derive_receipt_keys(receipt, salt, CHEAP)
    theirs = derive_receipt_keys(other, salt, CHEAP)
    assert mine.locator != theirs.locator
    assert mine.wrapping_key != theirs.wrapping_key


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts, other_salt=salts)
def test_the_same_receipt_under_another_deployments_salt_has_another_locator(receipt, salt,
                                                                              other_salt):
    assume(other_salt != salt)
    here = derive_receipt_keys(receipt, salt, CHEAP)
    there = derive_receipt_keys(receipt, other_salt, CHEAP)
    assert here.locator != there.locator
    assert here.wrapping_key != there.wrapping_key


@settings(max_examples=10, deadline=None)
@given(receipt=receipts, salt=salts)
def test_receipt_keys_depend_on_the_argon2id_cost(receipt, salt):
    dearer = KdfCost(memory_kib=16, iterations=2, lanes=1)
    cheap = derive_receipt_keys(receipt, salt, CHEAP)
    assert derive_receipt_keys(receipt, salt, dearer).locator != cheap.locator


def fast_digests(receipt: str, salt: bytes) -> set[bytes]:
    """What a careless implementation might store: one fast hash per guess."""
    candidates = set()
    for text in (receipt, format_receipt(receipt)):
        raw = text.encode()
        candidates |= {
            hashlib.sha256(raw).digest(),
            hashlib.sha256(salt + raw).digest(),
            hashlib.sha256(raw + salt).digest(),
            hashlib.blake2b(raw, digest_size=32).digest(),
            hashlib.sha3_256(raw).digest(),
            hmac.new(salt, raw, hashlib.sha256).digest(),
            hmac.new(raw, salt, hashlib.sha256).digest(),
            raw[:32].ljust(32, b"\0"),
        }
    return candidates


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts)
def test_nothing_fast_is_computed_from_a_receipt(receipt, salt):
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    fast = fast_digests(receipt, salt)
    assert keys.locator not in fast
    assert keys.wrapping_key not in fast
    assert receipt.encode() not in keys.locator


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts)
def test_both_receipt_keys_descend_from_one_argon2id_run(receipt, salt):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    master = derive_key(receipt, salt, CHEAP, RECEIPT_PURPOSE)
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    expand = [HKDFExpand(algorithm=hashes.SHA256(), length=32, info=label).derive(master)
              for label in (b"skaidra/receipt/locator", b"skaidra/receipt/wrapping-key")]
    assert [keys.locator, keys.wrapping_key] == expand
    assert master not in (keys.locator, keys.wrapping_key)


def test_receipt_keys_are_unrelated_to_a_password_key_from_the_same_digits():
    receipt, salt = new_receipt(), new_salt()
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    password_key = derive_key(receipt, salt, CHEAP, PASSWORD_PURPOSE)
    assert password_key not in (keys.locator, keys.wrapping_key)


# --- The reporter's copy of the data key -----------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts, ref=refs)
def test_reporters_copy_of_the_data_key_opens_with_their_receipt(receipt, salt, ref):
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    data_key = new_data_key()
    wrapped = wrap_for_reporter(keys, data_key, ref)
    assert unwrap_for_reporter(derive_receipt_keys(receipt, salt, CHEAP), wrapped, ref) == data_key


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, other=receipts, salt=salts, ref=refs)
def test_reporters_copy_does_not_open_with_another_receipt(receipt, other, salt, ref):
    assume(other != receipt)
    wrapped = wrap_for_reporter(derive_receipt_keys(receipt, salt, CHEAP), new_data_key(), ref)
    with pytest.raises(DecryptionError):
        unwrap_for_reporter(derive_receipt_keys(other, salt, CHEAP), wrapped, ref)


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts, ref=refs, other_ref=refs)
def test_reporters_copy_moved_to_another_report_does_not_open(receipt, salt, ref, other_ref):
    assume(other_ref != ref)
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    wrapped = wrap_for_reporter(keys, new_data_key(), ref)
    with pytest.raises(DecryptionError):
        unwrap_for_reporter(keys, wrapped, other_ref)


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts, ref=refs)
def test_the_stored_locator_does_not_open_the_reporters_copy(receipt, salt, ref):
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    wrapped = wrap_for_reporter(keys, new_data_key(), ref)
    with pytest.raises(DecryptionError):
        unwrap_for_reporter(ReceiptKeys(keys.locator, keys.locator), wrapped, ref)


@settings(max_examples=20, deadline=None)
@given(receipt=receipts, salt=salts, ref=refs, data=st.data())
def test_tampered_reporters_copy_does_not_open(receipt, salt, ref, data):
    keys = derive_receipt_keys(receipt, salt, CHEAP)
    wrapped = bytearray(wrap_for_reporter(keys, new_data_key(), ref))
    bit = data.draw(st.integers(0, len(wrapped) * 8 - 1), label="bit")
    wrapped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionError):
        unwrap_for_reporter(keys, bytes(wrapped), ref)
