"""Report envelopes: a field ciphertext opens only with its key, in its own place, untouched;
a sealed data key opens only with the reader's private key, for the context it was sealed to."""

import os

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.crypto import envelope
from app.crypto.envelope import (
    NONCE_BYTES,
    DecryptionError,
    binding,
    decrypt,
    encrypt,
    new_data_key,
    seal,
    unseal,
)
from app.crypto.kdf import KdfCost
from app.crypto.staff_keys import create_staff_keys, key_pair_from_seed, unlock_staff_key

CHEAP = KdfCost(memory_kib=8, iterations=1, lanes=1)
TAG_BYTES = 16
# X-Wing ciphertext: ML-KEM-768 ciphertext (1088 bytes) followed by the X25519 share (32).
MLKEM_CIPHERTEXT_BYTES = 1088
ENC_BYTES = MLKEM_CIPHERTEXT_BYTES + 32

keys = st.binary(min_size=32, max_size=32)
plaintexts = st.binary(max_size=512)
contexts = st.lists(st.text(max_size=12), max_size=4).map(tuple)
seeds = st.binary(min_size=96, max_size=96)

REF = "3f9a0c6e2b7d41e8a5c09d1f7e6b2a40"
OTHER_REF = "b71e4d0a9c3f52e6d8a1b0c4f7e92d35"


def flip_bit(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# --- Field encryption -------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(key=keys, plaintext=plaintexts, context=contexts)
def test_field_ciphertext_opens_with_its_key_and_context(key, plaintext, context):
    assert decrypt(key, encrypt(key, plaintext, *context), *context) == plaintext


@settings(max_examples=50, deadline=None)
@given(plaintext=plaintexts, context=contexts)
def test_field_ciphertext_reveals_only_the_plaintext_length(plaintext, context):
    ciphertext = encrypt(new_data_key(), plaintext, *context)
    assert len(ciphertext) == NONCE_BYTES + len(plaintext) + TAG_BYTES


def test_new_data_keys_are_random_256_bit_keys():
    drawn = {new_data_key() for _ in range(100)}
    assert len(drawn) == 100
    assert all(len(key) == 32 for key in drawn)


@settings(max_examples=50, deadline=None)
@given(key=keys, other=keys, plaintext=plaintexts, context=contexts)
def test_field_ciphertext_does_not_open_with_another_key(key, other, plaintext, context):
    assume(other != key)
    ciphertext = encrypt(key, plaintext, *context)
    with pytest.raises(DecryptionError):
        decrypt(other, ciphertext, *context)


@settings(max_examples=50, deadline=None)
@given(key=keys, plaintext=plaintexts, context=contexts, other=contexts)
@example(key=bytes(32), plaintext=b"x", context=("ab", "c"), other=("a", "bc"))
@example(key=bytes(32), plaintext=b"x", context=("a",), other=("a", ""))
@example(key=bytes(32), plaintext=b"x", context=("",), other=())
def test_field_ciphertext_does_not_open_in_any_other_context(key, plaintext, context, other):
    assume(other != context)
    ciphertext = encrypt(key, plaintext, *context)
    with pytest.raises(DecryptionError):
        decrypt(key, ciphertext, *other)


@pytest.mark.parametrize(("written", "read"), [
    pytest.param((REF, "content"), (OTHER_REF, "content"), id="moved-to-another-report"),
    pytest.param((REF, "content"), (REF, "identity"), id="moved-to-another-field"),
    pytest.param((REF, "attachment", "a1"), (REF, "attachment", "a2"), id="moved-to-another-row"),
    pytest.param((REF, "attachment", "a1"), (REF, "attachment-details", "a1"),
                 id="file-bytes-read-as-file-details"),
    pytest.param((REF, "content"), (REF, "content", "a1"), id="extra-part"),
    pytest.param((REF, "attachment", "a1"), (REF, "attachment"), id="missing-part"),
    pytest.param(("ab", "c"), ("a", "bc"), id="same-concatenation-other-split"),
    pytest.param((REF, "content"), ("content", REF), id="parts-reordered"),
])
def test_field_ciphertext_moved_to_another_place_does_not_open(written, read):
    key = new_data_key()
    ciphertext = encrypt(key, b"what the reporter wrote", *written)
    assert decrypt(key, ciphertext, *written) == b"what the reporter wrote"
    with pytest.raises(DecryptionError):
        decrypt(key, ciphertext, *read)


@settings(max_examples=50, deadline=None)
@given(key=keys, plaintext=plaintexts, context=contexts, data=st.data())
def test_any_single_flipped_bit_in_a_field_ciphertext_is_detected(key, plaintext, context, data):
    ciphertext = encrypt(key, plaintext, *context)
    bit = data.draw(st.integers(0, len(ciphertext) * 8 - 1), label="bit")
    with pytest.raises(DecryptionError):
        decrypt(key, flip_bit(ciphertext, bit), *context)


@settings(max_examples=50, deadline=None)
@given(key=keys, plaintext=plaintexts, context=contexts, data=st.data())
def test_truncated_field_ciphertext_raises_decryption_error(key, plaintext, context, data):
    ciphertext = encrypt(key, plaintext, *context)
    cut = data.draw(st.integers(0, len(ciphertext) - 1), label="cut")
    with pytest.raises(DecryptionError):
        decrypt(key, ciphertext[:cut], *context)
    with pytest.raises(DecryptionError):
        decrypt(key, ciphertext[len(ciphertext) - cut:], *context)


@settings(max_examples=50, deadline=None)
@given(key=keys, garbage=st.binary(max_size=NONCE_BYTES + TAG_BYTES + 64), context=contexts)
@example(key=bytes(32), garbage=b"", context=())
@example(key=bytes(32), garbage=bytes(NONCE_BYTES + TAG_BYTES - 1), context=())
@example(key=bytes(32), garbage=bytes(NONCE_BYTES + TAG_BYTES), context=())
def test_garbage_of_any_length_raises_decryption_error_and_nothing_else(key, garbage, context):
    with pytest.raises(DecryptionError):
        decrypt(key, garbage, *context)


@settings(max_examples=25, deadline=None)
@given(key=keys, plaintext=plaintexts, context=contexts)
def test_same_plaintext_encrypts_differently_each_time(key, plaintext, context):
    first = encrypt(key, plaintext, *context)
    second = encrypt(key, plaintext, *context)
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert first != second
    assert decrypt(key, first, *context) == decrypt(key, second, *context) == plaintext


# --- Associated data ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(first=st.lists(st.text(max_size=8), max_size=5),
       second=st.lists(st.text(max_size=8), max_size=5))
@example(first=["ab", "c"], second=["a", "bc"])
@example(first=[""], second=[])
@example(first=["a", ""], second=["a"])
@example(first=["\u0117"], second=["e\u0307"])
def test_binding_is_injective_on_distinct_tuples(first, second):
    assume(first != second)
    assert binding(*first) != binding(*second)


@settings(max_examples=50, deadline=None)
@given(parts=st.lists(st.text(max_size=8), max_size=5))
def test_binding_is_versioned_and_deterministic(parts):
    assert binding(*parts) == binding(*parts)
    assert binding(*parts).startswith(envelope.VERSION)


# --- Sealing data keys to readers -------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=seeds, data_key=keys, context=contexts)
def test_sealed_data_key_opens_with_the_readers_private_key(seed, data_key, context):
    private_key, public_key = key_pair_from_seed(seed)
    assert unseal(seal(data_key, public_key, *context), private_key, *context) == data_key


def test_sealed_data_key_opens_with_an_unlocked_staff_key():
    material = create_staff_keys("correct horse battery", CHEAP)
    private_key = unlock_staff_key(material, "correct horse battery")
    data_key = new_data_key()
    context = (REF, "officer", "7")
    assert unseal(seal(data_key, material.public_key, *context), private_key, *context) == data_key


@settings(max_examples=30, deadline=None)
@given(seed=seeds, other_seed=seeds, data_key=keys, context=contexts)
def test_sealed_data_key_does_not_open_with_another_private_key(seed, other_seed, data_key,
                                                                context):
    assume(other_seed != seed)
    _private, public_key = key_pair_from_seed(seed)
    other_private, _public = key_pair_from_seed(other_seed)
    sealed = seal(data_key, public_key, *context)
    with pytest.raises(DecryptionError):
        unseal(sealed, other_private, *context)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, data_key=keys, context=contexts, other=contexts)
@example(seed=bytes(96), data_key=bytes(32), context=(REF, "officer", "7"),
         other=(REF, "officer", "8"))
@example(seed=bytes(96), data_key=bytes(32), context=(REF, "officer", "7"),
         other=(OTHER_REF, "officer", "7"))
@example(seed=bytes(96), data_key=bytes(32), context=(REF, "officer", "7"),
         other=(REF, "recovery", "7"))
def test_sealed_data_key_does_not_open_in_another_context(seed, data_key, context, other):
    assume(other != context)
    private_key, public_key = key_pair_from_seed(seed)
    sealed = seal(data_key, public_key, *context)
    with pytest.raises(DecryptionError):
        unseal(sealed, private_key, *other)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, data_key=keys, data=st.data())
def test_any_single_flipped_bit_in_a_sealed_key_is_detected(seed, data_key, data):
    private_key, public_key = key_pair_from_seed(seed)
    sealed = seal(data_key, public_key, REF, "officer", "7")
    bit = data.draw(st.integers(0, len(sealed) * 8 - 1), label="bit")
    with pytest.raises(DecryptionError):
        unseal(flip_bit(sealed, bit), private_key, REF, "officer", "7")


def test_flipping_the_bit_x25519_ignores_still_breaks_the_seal():
    # RFC 7748 decoders mask the top bit of a u-coordinate; the KEM combiner must hash the
    # share as sent, so the altered encoding is still refused.
    private_key, public_key = key_pair_from_seed(os.urandom(96))
    sealed = seal(new_data_key(), public_key, REF)
    assert len(sealed) == ENC_BYTES + 32 + TAG_BYTES
    with pytest.raises(DecryptionError):
        unseal(flip_bit(sealed, (ENC_BYTES - 1) * 8 + 7), private_key, REF)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, data_key=keys, data=st.data())
def test_truncated_or_extended_sealed_key_raises_decryption_error(seed, data_key, data):
    private_key, public_key = key_pair_from_seed(seed)
    sealed = seal(data_key, public_key, REF)
    cut = data.draw(st.integers(0, len(sealed) - 1), label="cut")
    with pytest.raises(DecryptionError):
        unseal(sealed[:cut], private_key, REF)
    with pytest.raises(DecryptionError):
        unseal(sealed + data.draw(st.binary(min_size=1, max_size=16), label="tail"),
               private_key, REF)


@settings(max_examples=30, deadline=None)
@given(garbage=st.binary(max_size=ENC_BYTES + 64))
@example(garbage=b"")
@example(garbage=bytes(ENC_BYTES))
@example(garbage=bytes(ENC_BYTES + 32 + TAG_BYTES))
def test_empty_or_garbage_sealed_input_raises_decryption_error(garbage):
    private_key, _public = key_pair_from_seed(bytes(96))
    with pytest.raises(DecryptionError):
        unseal(garbage, private_key, REF, "recovery", "1")


def test_same_data_key_seals_differently_each_time():
    private_key, public_key = key_pair_from_seed(os.urandom(96))
    data_key = new_data_key()
    first, second = seal(data_key, public_key, REF), seal(data_key, public_key, REF)
    assert first != second
    assert unseal(first, private_key, REF) == unseal(second, private_key, REF) == data_key
