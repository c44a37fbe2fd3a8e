"""Helpers shared by the core tests: forging tokens and checking error hygiene.

Forging signs with the key's own ``Key.sign`` (or a raw HMAC for key-confusion
attacks) so a test can build exactly the token it needs — a header naming
``none``, a payload with a string ``exp`` — while the signature stays valid, and
the check under test is the only thing that can refuse it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final, TypeVar

import pytest

from authgate.core import AuthgateError, Key
from authgate.core.claims import ACCESS_TOKEN_TYPE, TokenPolicy

__all__ = [
    "ALL_ALGORITHMS",
    "ALPHABET",
    "EC_KID",
    "ED_KID",
    "HS_KID",
    "HS_SECRET",
    "NOW",
    "access_claims",
    "access_header",
    "as_any",
    "assert_no_leak",
    "b64url",
    "b64url_decode",
    "forge",
    "forge_hs256",
    "forge_raw",
    "no_filesystem_access",
    "refresh_claims",
    "refuse",
    "segments",
]

NOW: Final = 1_800_000_000
HS_SECRET: Final = hashlib.sha256(b"authgate core tests: hs256 secret").digest()
HS_KID: Final = "kid-hs-7f3a9c2e"
EC_KID: Final = "kid-ec-51d04b7a"
ED_KID: Final = "kid-ed-9b2f6c13"
ALL_ALGORITHMS: Final = frozenset({"HS256", "ES256", "EdDSA"})
ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Segments shorter than this can coincide with ordinary words in a message
# ("AB", "e30"); every real signature and header segment is far longer.
_MIN_FRAGMENT: Final = 8

E = TypeVar("E", bound=AuthgateError)


def as_any(value: object) -> Any:
    """Pass a deliberately ill-typed value to a typed API (the test's point)."""
    return value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def segments(token: str) -> tuple[str, str, str]:
    header, payload, signature = token.split(".")
    return header, payload, signature


def _json(value: Mapping[str, Any] | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    return json.dumps(value, separators=(",", ":")).encode()


def forge_raw(header: bytes, payload: bytes, key: Key) -> str:
    """A compact JWS over exactly these header and payload bytes, signed by ``key``."""
    signing_input = b64url(header) + "." + b64url(payload)
    return signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))


def forge(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: Key) -> str:
    """Like :func:`forge_raw` with a JSON header and a JSON (or raw) payload."""
    return forge_raw(_json(header), _json(payload), key)


def forge_hs256(
    header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, secret: bytes
) -> str:
    """An HS256 MAC under arbitrary bytes: what an attacker computes with a public key."""
    signing_input = b64url(_json(header)) + "." + b64url(_json(payload))
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def access_claims(policy: TokenPolicy, **changes: Any) -> dict[str, Any]:
    """The claims authgate's issuer puts in an access token, with ``changes``.

    A change whose value is ``...`` (Ellipsis) removes that claim.
    """
    claims: dict[str, Any] = {
        "iss": policy.issuer,
        "aud": policy.audience,
        "sub": "u_5b1e0c",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + policy.access_ttl,
        "jti": "jti-7Hc2kQy0mZ1vX9s3",
        "role": "user",
    }
    return _apply(claims, changes)


def refresh_claims(policy: TokenPolicy, **changes: Any) -> dict[str, Any]:
    """The claims of an authgate refresh token, with ``changes`` (see above)."""
    claims: dict[str, Any] = {
        "iss": policy.issuer,
        "aud": policy.refresh_audience,
        "sub": "u_5b1e0c",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + policy.refresh_ttl,
        "jti": "jti-Rf4nW8pL2qT6yB0e",
        "sid": "sess-3c9d",
    }
    return _apply(claims, changes)


def _apply(claims: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        if value is ...:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def access_header(key: Key, **changes: Any) -> dict[str, Any]:
    return _apply({"alg": key.alg, "kid": key.kid, "typ": ACCESS_TOKEN_TYPE}, changes)


def _texts(err: BaseException) -> Iterator[str]:
    """Everything a log line or traceback would print about ``err``."""
    seen: set[int] = set()
    pending = [err]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (repr(arg) for arg in current.args)
        yield from (repr(value) for value in getattr(current, "__dict__", {}).values())
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)


def _forms(secret: bytes | str) -> Iterator[str]:
    if isinstance(secret, str):
        yield secret
        secret = secret.encode("utf-8")
    yield repr(secret)
    yield secret.hex()
    yield b64url(secret)
    with contextlib.suppress(UnicodeDecodeError):
        text = secret.decode("utf-8")
        if len(text) >= _MIN_FRAGMENT:
            yield text


def assert_no_leak(
    err: BaseException,
    *,
    token: str | bytes | None = None,
    secrets: Iterable[bytes | str] = (),
    kids: Iterable[str] = (),
    claims: Iterable[str] = (),
) -> None:
    """Neither ``str`` nor ``repr`` of ``err`` (nor its printed causes) carries
    the token, any of its segments, a secret, a kid or an unverified claim."""
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    fragments: list[str] = []
    if token:
        fragments.extend(part for part in (token, *token.split(".")) if len(part) >= _MIN_FRAGMENT)
    for secret in secrets:
        fragments.extend(_forms(secret))
    fragments.extend(kids)
    fragments.extend(claim for claim in claims if len(claim) >= 4)
    for text in _texts(err):
        for fragment in fragments:
            assert fragment not in text, f"{type(err).__name__} leaks {fragment[:12]!r}..."


def refuse(
    expected: type[E],
    call: Callable[[], object],
    *,
    token: str | bytes | None = None,
    secrets: Iterable[bytes | str] = (),
    kids: Iterable[str] = (),
    claims: Iterable[str] = (),
) -> E:
    """``call()`` raises exactly ``expected`` (not a sibling), and the error is clean."""
    with pytest.raises(expected) as info:
        call()
    err = info.value
    assert type(err) is expected, f"expected {expected.__name__}, got {type(err).__name__}"
    assert isinstance(err, AuthgateError)
    assert_no_leak(err, token=token, secrets=secrets, kids=kids, claims=claims)
    return err


# Filesystem events (PEP 578).  The hook is process-wide and cannot be
# removed, so it only records while a test asks it to.
_recording: list[str] | None = None
_FS_EVENT_PREFIXES: Final = ("open", "os.", "shutil.", "glob.", "pathlib.", "tempfile.")


def _audit(event: str, _args: tuple[Any, ...]) -> None:
    if _recording is not None and event.startswith(_FS_EVENT_PREFIXES):
        _recording.append(event)


sys.addaudithook(_audit)


@contextlib.contextmanager
def no_filesystem_access(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail if the body opens, lists, stats or removes anything on disk."""
    global _recording  # noqa: PLW0603 - the audit hook can only see module state

    def _refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the filesystem was touched")

    with monkeypatch.context() as patch:
        for name in ("stat", "lstat", "access"):
            patch.setattr(os, name, _refuse)
        _recording = []
        try:
            yield
            assert _recording == [], f"filesystem events: {_recording}"
        finally:
            _recording = None
