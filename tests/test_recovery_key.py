"""Institution recovery codes: printable, forgiving of how they are typed back, and the only
thing that re-derives the private key the institution's recovery copies are sealed to."""

import base64
import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.crypto.envelope import DecryptionError, new_data_key, seal, unseal
from app.crypto.recovery import (
    CODE_BYTES,
    format_recovery_code,
    new_recovery_code,
    recovery_key_pair,
    recovery_public_key,
)

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE_SHAPE = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){11}")
CONTEXT = ("3f9a0c6e2b7d41e8a5c09d1f7e6b2a40", "recovery", "1")

secrets_ = st.binary(min_size=CODE_BYTES, max_size=CODE_BYTES)


def code_for(secret: bytes) -> str:
    """The printed recovery code holding ``secret``."""
    return format_recovery_code(base64.b32encode(secret).decode())


codes = secrets_.map(code_for)


# --- Shape of a code --------------------------------------------------------------------------


def test_new_recovery_code_is_twelve_hyphenated_groups_of_four_base32_characters():
    for _ in range(100):
        code = new_recovery_code()
        assert CODE_SHAPE.fullmatch(code), code
        assert len(code.split("-")) == 12


def test_new_recovery_codes_do_not_repeat():
    assert len({new_recovery_code() for _ in range(200)}) == 200


@settings(max_examples=50, deadline=None)
@given(secret=secrets_)
def test_every_secret_prints_as_a_well_formed_code(secret):
    assert CODE_SHAPE.fullmatch(code_for(secret))


# --- Typed back in any shape -----------------------------------------------------------------


@st.composite
def retyped(draw, code: str) -> str:
    """The code as someone might type it back: any case, any separators, stray whitespace."""
    separator = st.sampled_from(["-", " ", "  ", "", " - ", "\t", "\n"])
    out = draw(st.sampled_from(["", " ", "\n", "\t "]))
    for i, group in enumerate(code.split("-")):
        if i:
            out += draw(separator)
        out += "".join(ch.lower() if draw(st.booleans()) else ch for ch in group)
    return out + draw(st.sampled_from(["", " ", "\n", " \r\n"]))


@settings(max_examples=30, deadline=None)
@given(code=codes)
def test_recovery_public_key_is_stable_under_lower_case_and_spaces(code):
    expected = recovery_public_key(code)
    assert recovery_public_key(code.lower()) == expected
    assert recovery_public_key(code.replace("-", " ")) == expected
    assert recovery_public_key(f"  {code}\n") == expected
    assert recovery_public_key(code.replace("-", "")) == expected


@settings(max_examples=30, deadline=None)
@given(code=codes, data=st.data())
def test_recovery_public_key_is_stable_however_the_code_is_retyped(code, data):
    assert recovery_public_key(data.draw(retyped(code), label="typed")) == \
        recovery_public_key(code)


@settings(max_examples=30, deadline=None)
@given(secret=secrets_, other=secrets_)
def test_different_codes_give_different_public_keys(secret, other):
    assume(other != secret)
    assert recovery_public_key(code_for(secret)) != recovery_public_key(code_for(other))


@settings(max_examples=20, deadline=None)
@given(code=codes)
def test_recovery_key_pair_is_deterministic(code):
    _private, public = recovery_key_pair(code)
    assert recovery_key_pair(code)[1] == public == recovery_public_key(code)


# --- Opening the institution's copy ----------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(code=codes)
def test_data_key_sealed_to_the_recovery_key_opens_with_the_code(code):
    data_key = new_data_key()
    sealed = seal(data_key, recovery_public_key(code), *CONTEXT)
    private_key, _public = recovery_key_pair(code)
    assert unseal(sealed, private_key, *CONTEXT) == data_key


@settings(max_examples=20, deadline=None)
@given(secret=secrets_, other=secrets_)
def test_data_key_sealed_to_the_recovery_key_does_not_open_with_another_code(secret, other):
    assume(other != secret)
    sealed = seal(new_data_key(), recovery_public_key(code_for(secret)), *CONTEXT)
    other_private, _public = recovery_key_pair(code_for(other))
    with pytest.raises(DecryptionError):
        unseal(sealed, other_private, *CONTEXT)


@settings(max_examples=20, deadline=None)
@given(secret=secrets_, data=st.data())
def test_a_one_character_typo_derives_another_public_key(secret, data):
    # 48 base32 characters carry exactly 240 bits: no character is padding.
    code = code_for(secret)
    position = data.draw(st.sampled_from([i for i, ch in enumerate(code) if ch != "-"]),
                         label="position")
    typo = data.draw(st.sampled_from(BASE32).filter(lambda ch: ch != code[position]),
                     label="typo")
    mistyped = code[:position] + typo + code[position + 1:]
    assert recovery_public_key(mistyped) != recovery_public_key(code)


# --- Not a recovery code -------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(code=codes, bad=st.sampled_from("0189"), data=st.data())
def test_characters_outside_base32_are_refused(code, bad, data):
    position = data.draw(st.sampled_from([i for i, ch in enumerate(code) if ch != "-"]),
                         label="position")
    with pytest.raises(ValueError, match="not a recovery code"):
        recovery_key_pair(code[:position] + bad + code[position + 1:])


@settings(max_examples=30, deadline=None)
@given(code=codes, data=st.data())
def test_codes_of_the_wrong_length_are_refused(code, data):
    bare = code.replace("-", "")
    length = data.draw(st.integers(0, 2 * len(bare)).filter(lambda n: n != len(bare)),
                       label="length")
    wrong = (bare * 2)[:length]
    with pytest.raises(ValueError, match="not a recovery code"):
        recovery_key_pair(wrong)
    with pytest.raises(ValueError, match="not a recovery code"):
        recovery_key_pair(format_recovery_code(wrong))


@pytest.mark.parametrize("text", [
    "",
    " ",
    "-----",
    "\n\t",
    "AAAA-AAAA-AAAA",
    "AAAA-" * 11 + "AAA",
    "AAAA-" * 12 + "AAAA",
    "AAAA-" * 11 + "AAA1",
    "AAAA-" * 11 + "AAA0",
    "AAAA-" * 11 + "AAA8",
    "0000-" * 11 + "0000",
    "1111-" * 11 + "1111",
    "8888-" * 11 + "8888",
])
def test_malformed_codes_are_refused(text):
    with pytest.raises(ValueError, match="not a recovery code"):
        recovery_key_pair(text)
    with pytest.raises(ValueError, match="not a recovery code"):
        recovery_public_key(text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=70))
@example(text="\u00df" * 48)
@example(text="\u00e9" * 48)
@example(text="\u0661" * 48)
@example(text="A" * 47 + "=")
def test_any_text_either_derives_a_key_or_raises_value_error(text):
    try:
        public_key = recovery_public_key(text)
    except ValueError:
        return
    assert len(public_key) == 1184 + 32
