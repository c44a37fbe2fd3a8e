"""Signed double-submit CSRF tokens bound to a session."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate.core import CsrfError, CsrfTokens, KeyringError, derive_csrf_secret

from ._support import ALPHABET, as_any, assert_no_leak, b64url, b64url_decode

SECRET = secrets.token_bytes(32)
SESSION = "sess-a1b2c3"


@pytest.fixture
def csrf() -> CsrfTokens:
    return CsrfTokens([SECRET])


def _refuse(csrf: CsrfTokens, token: object, session: str = SESSION) -> None:
    with pytest.raises(CsrfError) as info:
        csrf.verify(as_any(token), session)
    assert_no_leak(
        info.value,
        token=token if isinstance(token, str) else None,
        secrets=[SECRET],
        kids=[SESSION],
    )


def test_issue_then_verify(csrf: CsrfTokens) -> None:
    """A token verifies for the session it was issued to; tokens are fresh."""
    token = csrf.issue(SESSION)
    csrf.verify(token, SESSION)
    assert csrf.issue(SESSION) != token


def test_token_of_one_session_is_refused_for_another(csrf: CsrfTokens) -> None:
    """The MAC covers the session id: a token planted or taken from session A
    is useless in session B."""
    token = csrf.issue("sess-A")
    _refuse(csrf, token, "sess-B")
    _refuse(csrf, token, "sess-A ")
    _refuse(csrf, token, "")


@pytest.mark.parametrize("value", [None, "", ".", "a.b.c", "nodot", "x" * 129])
def test_missing_or_malformed_tokens_are_refused(value: str | None, csrf: CsrfTokens) -> None:
    """Absent, empty, wrongly shaped or oversized tokens are CSRF errors."""
    _refuse(csrf, value)


def test_tampered_and_truncated_tokens_are_refused(csrf: CsrfTokens) -> None:
    """Any changed, dropped or added character is refused."""
    token = csrf.issue(SESSION)
    nonce, mac = token.split(".")
    flipped = bytearray(b64url_decode(mac))
    flipped[-1] ^= 1
    for bad in (
        f"{nonce}.{b64url(bytes(flipped))}",
        f"{b64url(b64url_decode(nonce)[::-1])}.{mac}",
        token[:-1],
        token[1:],
        token + "A",
        f"{nonce[:-2]}.{mac}",
        f"{nonce}.{mac}=",
        f"{nonce} .{mac}",
        f"{nonce}.{mac}\n",
        f"{nonce}.{mac[:10]}!!{mac[10:]}",
    ):
        _refuse(csrf, bad)


def test_non_canonical_encodings_are_refused(csrf: CsrfTokens) -> None:
    """A token has one spelling: unused low bits, padding or the standard
    base64 alphabet make a different string for the same bytes and are refused."""
    token = csrf.issue(SESSION)
    nonce, mac = token.split(".")
    # 16-byte nonce → 22 characters; the last carries 4 unused bits.
    value = ALPHABET.index(nonce[-1])
    assert value & 0x0F == 0
    altered_nonce = nonce[:-1] + ALPHABET[value | 0x0F]
    assert b64url_decode(altered_nonce) == b64url_decode(nonce)
    _refuse(csrf, f"{altered_nonce}.{mac}")
    _refuse(csrf, f"{nonce}==.{mac}")
    standard = f"{nonce}.{mac}".replace("-", "+").replace("_", "/")
    if standard != token:
        _refuse(csrf, standard)


def test_secrets_shorter_than_32_bytes_are_refused() -> None:
    """CSRF keys are at least 256 bits; an empty key list is refused too."""
    with pytest.raises(KeyringError):
        CsrfTokens([secrets.token_bytes(31)])
    with pytest.raises(KeyringError):
        CsrfTokens([SECRET, secrets.token_bytes(31)])
    with pytest.raises(KeyringError):
        CsrfTokens([])


def test_rotation_first_secret_signs_all_verify() -> None:
    """After rotation a token from the old secret verifies with [new, old] but
    not with [new] alone, and new tokens are signed with the new secret."""
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    token = CsrfTokens([old]).issue(SESSION)
    CsrfTokens([new, old]).verify(token, SESSION)
    _refuse(CsrfTokens([new]), token)
    fresh = CsrfTokens([new, old]).issue(SESSION)
    CsrfTokens([new]).verify(fresh, SESSION)
    _refuse(CsrfTokens([old]), fresh)


def test_derived_csrf_secret_is_separate_from_the_signing_secret() -> None:
    """The CSRF key is derived (deterministically) from, and differs from, the
    JWT signing key; different signing keys give different CSRF keys."""
    signing = secrets.token_bytes(32)
    derived = derive_csrf_secret(signing)
    assert derived != signing
    assert len(derived) == 32
    assert derive_csrf_secret(signing) == derived
    assert derive_csrf_secret(secrets.token_bytes(32)) != derived
    assert signing not in derived


@settings(max_examples=300, deadline=None)
@given(token=st.text(max_size=160) | st.from_regex(r"[A-Za-z0-9_\-]{20,24}\.[A-Za-z0-9_\-]{40,46}"))
def test_arbitrary_text_is_a_csrf_error_never_a_crash(token: str) -> None:
    """Whatever a request puts in the header (any Unicode, lone surrogates,
    lookalike tokens), the answer is ``CsrfError``, never another exception."""
    with pytest.raises(CsrfError):
        CsrfTokens([SECRET]).verify(token, SESSION)
