"""The test helpers themselves: a hygiene check that cannot fail proves nothing."""

from __future__ import annotations

import pytest

from authgate.core import MalformedTokenError, TokenError

from ._support import HS_KID, HS_SECRET, assert_no_leak, b64url, no_filesystem_access

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    "message",
    [
        f"bad token {TOKEN}",
        f"bad header {TOKEN.split('.', maxsplit=1)[0]}",
        f"bad signature {TOKEN.split('.')[2]}",
        f"key {HS_SECRET.hex()}",
        f"key {b64url(HS_SECRET)}",
        f"key {HS_SECRET!r}",
        f"no key named {HS_KID}",
        "subject u_5b1e0c refused",
    ],
)
def test_leak_check_detects_each_kind_of_leak(message: str) -> None:
    """``assert_no_leak`` fails for a token, segment, secret (hex, base64url,
    repr), kid or claim in the message."""
    with pytest.raises(AssertionError):
        assert_no_leak(
            TokenError(message),
            token=TOKEN,
            secrets=[HS_SECRET],
            kids=[HS_KID],
            claims=["u_5b1e0c"],
        )


def _parse(text: str, *, hide_cause: bool) -> None:
    try:
        int(text)
    except ValueError as inner:
        if hide_cause:
            raise MalformedTokenError("malformed") from None
        raise MalformedTokenError("malformed") from inner


def test_leak_check_follows_printed_causes_only() -> None:
    """A leaking ``__cause__`` counts; a context suppressed with ``from None`` does not."""
    with pytest.raises(MalformedTokenError) as shown:
        _parse(TOKEN, hide_cause=False)
    with pytest.raises(AssertionError):
        assert_no_leak(shown.value, token=TOKEN)
    with pytest.raises(MalformedTokenError) as hidden:
        _parse(TOKEN, hide_cause=True)
    assert_no_leak(hidden.value, token=TOKEN)


def test_filesystem_guard_notices_opening_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """``no_filesystem_access`` fails when the body opens a file."""
    with pytest.raises(AssertionError), no_filesystem_access(monkeypatch):
        open("/dev/null").close()
