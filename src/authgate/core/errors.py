"""The one exception tree of authgate.

Every error carries a stable ``code`` (a class attribute) that logs, metrics
and the RFC 6750 ``error_description`` use; only ``server/problems.py`` maps
codes to HTTP.  Messages are written for the operator and never contain a
token, a secret, key material or an unverified claim::

    AuthgateError
    ├── TokenError                       (RFC 6750 error="invalid_token")
    │   ├── MalformedTokenError          malformed
    │   ├── TokenTooLargeError           too_large
    │   ├── UnknownKeyError              unknown_key
    │   ├── BadSignatureError            bad_signature
    │   ├── ExpiredTokenError            expired
    │   ├── NotYetValidError             not_yet_valid
    │   ├── InvalidIssuerError           wrong_issuer
    │   ├── InvalidAudienceError         wrong_audience
    │   ├── WrongTokenTypeError          wrong_type
    │   ├── InvalidClaimError            invalid_claim
    │   └── RevokedTokenError            revoked
    ├── KeyringError (also ValueError)   keyring
    │   └── WeakSecretError              weak_secret
    ├── PasswordError
    │   ├── WeakPasswordError (ValueError) weak_password
    │   └── InvalidPasswordHashError (ValueError) invalid_hash
    ├── CsrfError                        csrf
    ├── ConfigurationError (ValueError)  configuration
    ├── AccountError
    │   ├── InvalidCredentialsError      invalid_credentials
    │   ├── EmailTakenError              email_taken
    │   ├── InvalidEmailError (ValueError) invalid_email
    │   ├── ThrottledError               throttled
    │   └── NotFoundError                not_found
    ├── SessionError                     (answered like an invalid token)
    │   ├── SessionRevokedError          session_revoked
    │   └── RefreshReuseError            refresh_reuse
    └── StoreError                       store_unavailable
"""

from __future__ import annotations

__all__ = [
    "AccountError",
    "AuthgateError",
    "BadSignatureError",
    "ConfigurationError",
    "CsrfError",
    "EmailTakenError",
    "ExpiredTokenError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "InvalidIssuerError",
    "InvalidPasswordHashError",
    "KeyringError",
    "MalformedTokenError",
    "NotFoundError",
    "NotYetValidError",
    "PasswordError",
    "RefreshReuseError",
    "RevokedTokenError",
    "SessionError",
    "SessionRevokedError",
    "StoreError",
    "ThrottledError",
    "TokenError",
    "TokenTooLargeError",
    "UnknownKeyError",
    "WeakPasswordError",
    "WeakSecretError",
    "WrongTokenTypeError",
]


class AuthgateError(Exception):
    """Base of every error authgate raises on purpose."""

    code: str = "error"

    def __repr__(self) -> str:
        # The message is already free of secrets; keep repr just as plain.
        return f"{type(self).__name__}({str(self)!r})"


class TokenError(AuthgateError):
    """A token was refused.  The caller should answer 401."""

    code = "invalid_token"


class MalformedTokenError(TokenError):
    """Not a compact JWS we accept: segments, base64url, JSON or header."""

    code = "malformed"


class TokenTooLargeError(TokenError):
    """Refused before parsing: longer than the configured cap (8 KiB)."""

    code = "too_large"


class UnknownKeyError(TokenError):
    """The ``kid`` names no key that may verify (unknown or retired)."""

    code = "unknown_key"


class BadSignatureError(TokenError):
    """The signature does not verify under the key's one algorithm."""

    code = "bad_signature"


class ExpiredTokenError(TokenError):
    """``exp`` is in the past by more than the leeway."""

    code = "expired"


class NotYetValidError(TokenError):
    """``nbf`` or ``iat`` lies in the future by more than the leeway."""

    code = "not_yet_valid"


class InvalidIssuerError(TokenError):
    """``iss`` is not the configured issuer."""

    code = "wrong_issuer"


class InvalidAudienceError(TokenError):
    """``aud`` does not name the expected audience."""

    code = "wrong_audience"


class WrongTokenTypeError(TokenError):
    """The ``typ`` header is not the kind of token this call expects."""

    code = "wrong_type"


class InvalidClaimError(TokenError):
    """A required claim is missing, of the wrong type or not allowed."""

    code = "invalid_claim"


class RevokedTokenError(TokenError):
    """The token's ``jti`` is on the revocation list."""

    code = "revoked"


class KeyringError(AuthgateError, ValueError):
    """A key or keyring cannot be built: caller or configuration mistake."""

    code = "keyring"


class WeakSecretError(KeyringError):
    """An HMAC secret is short, well known or plainly not random."""

    code = "weak_secret"


class PasswordError(AuthgateError):
    """Base for password policy and hashing problems."""

    code = "password"


class WeakPasswordError(PasswordError, ValueError):
    """A new password breaks the policy; ``reasons`` lists every rule broken."""

    code = "weak_password"

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(reasons))


class InvalidPasswordHashError(PasswordError, ValueError):
    """A stored hash is not an argon2 hash this library can read."""

    code = "invalid_hash"


class CsrfError(AuthgateError):
    """A CSRF token is missing, malformed or bound to another session."""

    code = "csrf"


class ConfigurationError(AuthgateError, ValueError):
    """Settings that authgate refuses; ``problems`` lists all of them at once."""

    code = "configuration"

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("; ".join(self.problems))


class AccountError(AuthgateError):
    """Base for account use-case refusals (login, registration, lookups)."""

    code = "account"


class InvalidCredentialsError(AccountError):
    """Login refused; deliberately silent about which part was wrong."""

    code = "invalid_credentials"


class EmailTakenError(AccountError):
    """Registration of an email (case-insensitively) already registered."""

    code = "email_taken"


class InvalidEmailError(AccountError, ValueError):
    """Not an email address authgate can register."""

    code = "invalid_email"


class ThrottledError(AccountError):
    """Too many failed logins; retry after ``retry_after`` seconds."""

    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"too many failed attempts; retry in {self.retry_after} s")


class NotFoundError(AccountError):
    """No such user or session (for this caller)."""

    code = "not_found"


class SessionError(AuthgateError):
    """A refresh was refused for a reason beyond the token itself."""

    code = "session"


class SessionRevokedError(SessionError):
    """The session (refresh-token family) was revoked, spent or is unknown."""

    code = "session_revoked"


class RefreshReuseError(SessionError):
    """A spent refresh token came back: its whole family is now revoked."""

    code = "refresh_reuse"


class StoreError(AuthgateError):
    """A backing store did not answer; callers fail closed (503)."""

    code = "store_unavailable"
