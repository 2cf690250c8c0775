"""Staff key pairs: the password unwraps the private key and nothing else does."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.crypto.kdf import KdfCost, derive_key, new_salt
from app.crypto.staff_keys import create_staff_keys, load_public_key, unlock_staff_key

CHEAP = KdfCost(memory_kib=8, iterations=1, lanes=1)


@settings(max_examples=25, deadline=None)
@given(password=st.text(min_size=1, max_size=64), other=st.text(min_size=1, max_size=64))
def test_only_the_right_password_unlocks_the_private_key(password, other):
    material = create_staff_keys(password, CHEAP)
    key = unlock_staff_key(material, password)
    assert key is not None
    if other != password:
        assert unlock_staff_key(material, other) is None


def test_unlocked_key_is_the_partner_of_the_stored_public_key():
    from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

    material = create_staff_keys("correct horse battery", CHEAP)
    private = unlock_staff_key(material, "correct horse battery")
    suite = Suite(KEM.MLKEM768_X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
    sealed = suite.encrypt(b"data key", load_public_key(material.public_key))
    assert suite.decrypt(sealed, private) == b"data key"


def test_wrapped_key_paired_with_another_public_key_does_not_unlock():
    mine = create_staff_keys("correct horse battery", CHEAP)
    theirs = create_staff_keys("correct horse battery", CHEAP)
    swapped = replace(mine, public_key=theirs.public_key)
    assert unlock_staff_key(swapped, "correct horse battery") is None


def test_tampered_wrapped_key_does_not_unlock():
    material = create_staff_keys("correct horse battery", CHEAP)
    flipped = bytearray(material.wrapped_private_key)
    flipped[-1] ^= 1
    assert unlock_staff_key(replace(material, wrapped_private_key=bytes(flipped)),
                            "correct horse battery") is None


def test_purpose_separates_derived_keys():
    salt = new_salt()
    assert derive_key("secret", salt, CHEAP, b"a") != derive_key("secret", salt, CHEAP, b"b")
    assert derive_key("secret", salt, CHEAP, b"a") == derive_key("secret", salt, CHEAP, b"a")


@pytest.mark.parametrize("cost", [
    {"memory_kib": 64 * 1024 * 1024, "iterations": 3, "lanes": 4},
    {"memory_kib": 65536, "iterations": 10_000, "lanes": 4},
    {"memory_kib": 65536, "iterations": 3, "lanes": 0},
    {"memory_kib": 4, "iterations": 1, "lanes": 1},
])
def test_out_of_bounds_cost_from_the_database_is_refused(cost):
    with pytest.raises(ValueError, match="out of bounds"):
        KdfCost.from_dict(cost)


def test_password_is_unicode_normalised_before_derivation():
    salt = new_salt()
    composed, decomposed = "slaptažodis-\u0117", "slaptažodis-e\u0307"  # "ė" two ways
    assert composed != decomposed
    assert derive_key(composed, salt, CHEAP, b"p") == derive_key(decomposed, salt, CHEAP, b"p")


def test_concurrent_derivations_with_several_lanes_all_finish():
    import threading

    cost = KdfCost(memory_kib=1024, iterations=1, lanes=4)
    salt = new_salt()
    expected = derive_key("secret", salt, cost, b"p")
    results, errors = [], []

    def derive_many():
        try:
            results.extend(derive_key("secret", salt, cost, b"p") for _ in range(10))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=derive_many, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a derivation hung"
    assert errors == []
    assert results == [expected] * 40
