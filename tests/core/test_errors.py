"""The error tree: stable codes, the documented hierarchy, plain reprs."""

from __future__ import annotations

import pytest

from authgate.core import errors
from authgate.core.errors import (
    AuthgateError,
    ConfigurationError,
    InvalidPasswordHashError,
    KeyringError,
    TokenError,
    WeakPasswordError,
    WeakSecretError,
)

# The codes are an interface: logs, metrics and server/problems.py key on them.
EXPECTED_CODES = {
    "AuthgateError": "error",
    "TokenError": "invalid_token",
    "MalformedTokenError": "malformed",
    "TokenTooLargeError": "too_large",
    "UnknownKeyError": "unknown_key",
    "BadSignatureError": "bad_signature",
    "ExpiredTokenError": "expired",
    "NotYetValidError": "not_yet_valid",
    "InvalidIssuerError": "wrong_issuer",
    "InvalidAudienceError": "wrong_audience",
    "WrongTokenTypeError": "wrong_type",
    "InvalidClaimError": "invalid_claim",
    "RevokedTokenError": "revoked",
    "KeyringError": "keyring",
    "WeakSecretError": "weak_secret",
    "PasswordError": "password",
    "WeakPasswordError": "weak_password",
    "InvalidPasswordHashError": "invalid_hash",
    "CsrfError": "csrf",
    "ConfigurationError": "configuration",
    "StoreError": "store_unavailable",
}
TOKEN_ERRORS = [
    "MalformedTokenError",
    "TokenTooLargeError",
    "UnknownKeyError",
    "BadSignatureError",
    "ExpiredTokenError",
    "NotYetValidError",
    "InvalidIssuerError",
    "InvalidAudienceError",
    "WrongTokenTypeError",
    "InvalidClaimError",
    "RevokedTokenError",
]


def _error_classes() -> list[type[AuthgateError]]:
    classes = [getattr(errors, name) for name in errors.__all__]
    return [cls for cls in classes if isinstance(cls, type) and issubclass(cls, AuthgateError)]


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED_CODES.items()))
def test_error_codes_are_stable(name: str, code: str) -> None:
    """The core error classes keep the codes the tree documents (an interface:
    logs, metrics and ``server/problems.py`` key on them)."""
    assert getattr(errors, name).code == code


def test_every_exported_error_is_drawn_in_the_tree() -> None:
    """The ASCII tree in the module docstring names every exported error class."""
    assert errors.__doc__ is not None
    for cls in _error_classes():
        assert cls.__name__ in errors.__doc__


def test_codes_are_distinct_and_defined_on_each_class() -> None:
    """No two classes share a code, and no class merely inherits its parent's:
    a log line's code alone names the error."""
    classes = _error_classes()
    assert len({cls.code for cls in classes}) == len(classes)
    for cls in classes:
        assert "code" in vars(cls), f"{cls.__name__} inherits its code"


@pytest.mark.parametrize("name", TOKEN_ERRORS)
def test_token_refusals_are_token_errors(name: str) -> None:
    """Every refusal of a token is a ``TokenError`` (one ``except`` → 401)."""
    assert issubclass(getattr(errors, name), TokenError)


@pytest.mark.parametrize(
    "cls",
    [
        KeyringError,
        WeakSecretError,
        ConfigurationError,
        WeakPasswordError,
        InvalidPasswordHashError,
    ],
)
def test_caller_mistakes_are_value_errors(cls: type[AuthgateError]) -> None:
    """Caller and configuration mistakes also subclass ``ValueError`` (argon2 style)."""
    assert issubclass(cls, ValueError)


def test_token_errors_are_not_value_errors() -> None:
    """A refused token is attacker input, not a caller bug: ``except ValueError``
    in application code must not swallow it."""
    assert not issubclass(TokenError, ValueError)


def test_repr_shows_only_class_and_message() -> None:
    """``repr`` adds nothing beyond the (secret-free) message."""
    assert repr(TokenError("token has expired")) == "TokenError('token has expired')"


def test_configuration_error_lists_every_problem() -> None:
    """``problems`` keeps each problem separately; the message joins them."""
    err = ConfigurationError(["first problem", "second problem"])
    assert err.problems == ("first problem", "second problem")
    assert str(err) == "first problem; second problem"
    assert ConfigurationError("only one").problems == ("only one",)


def test_weak_password_error_lists_every_reason() -> None:
    """``reasons`` keeps each broken rule separately."""
    err = WeakPasswordError(["too short", "too common"])
    assert err.reasons == ("too short", "too common")
    assert str(err) == "too short; too common"
