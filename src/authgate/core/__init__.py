"""authgate.core: the pure token library (no web framework, database or Redis).

Typical use::

    >>> from authgate.core import (
    ...     KeyRing, ManualClock, MemoryRevocationList, TokenIssuer, TokenPolicy,
    ...     TokenVerifier, generate_hmac_key,
    ... )
    >>> clock = ManualClock(1_800_000_000)
    >>> ring = KeyRing((generate_hmac_key("k1", created_at=clock.now()),))
    >>> policy = TokenPolicy(issuer="https://auth.example.test", audience="api")
    >>> issued = TokenIssuer(ring, policy, clock).issue_access_token(subject="u_8f3a", role="user")
    >>> verifier = TokenVerifier(ring, policy, clock, MemoryRevocationList(clock))
    >>> verifier.verify_access_token(issued.token).sub
    'u_8f3a'
"""

from __future__ import annotations

from authgate.core.claims import (
    ACCESS_TOKEN_TYPE,
    REFRESH_TOKEN_TYPE,
    AccessClaims,
    RefreshClaims,
    TokenPolicy,
)
from authgate.core.clock import Clock, ManualClock, SystemClock
from authgate.core.csrf import CsrfTokens, derive_csrf_secret
from authgate.core.errors import (
    AccountError,
    AuthgateError,
    BadSignatureError,
    ConfigurationError,
    CsrfError,
    EmailTakenError,
    ExpiredTokenError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidCredentialsError,
    InvalidEmailError,
    InvalidIssuerError,
    InvalidPasswordHashError,
    KeyringError,
    MalformedTokenError,
    NotFoundError,
    NotYetValidError,
    PasswordError,
    RefreshReuseError,
    RevokedTokenError,
    SessionError,
    SessionRevokedError,
    StoreError,
    ThrottledError,
    TokenError,
    TokenTooLargeError,
    UnknownKeyError,
    WeakPasswordError,
    WeakSecretError,
    WrongTokenTypeError,
)
from authgate.core.keyconfig import (
    check_secret_strength,
    keyring_from_json,
    keyring_from_secret,
    keyring_to_json,
    load_or_create_dev_keyring,
)
from authgate.core.keys import Key, KeyRing, KeyState, generate_hmac_key
from authgate.core.passwords import PROFILES, PasswordHasher, PasswordProfile, check_password_policy
from authgate.core.revocation import MemoryRevocationList, RevocationList
from authgate.core.rotation import is_rotation_due, retire_expired_keys, rotate
from authgate.core.tokens import IssuedAccessToken, IssuedRefreshToken, TokenIssuer, TokenVerifier

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "PROFILES",
    "REFRESH_TOKEN_TYPE",
    "AccessClaims",
    "AccountError",
    "AuthgateError",
    "BadSignatureError",
    "Clock",
    "ConfigurationError",
    "CsrfError",
    "CsrfTokens",
    "EmailTakenError",
    "ExpiredTokenError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "InvalidIssuerError",
    "InvalidPasswordHashError",
    "IssuedAccessToken",
    "IssuedRefreshToken",
    "Key",
    "KeyRing",
    "KeyState",
    "KeyringError",
    "MalformedTokenError",
    "ManualClock",
    "MemoryRevocationList",
    "NotFoundError",
    "NotYetValidError",
    "PasswordError",
    "PasswordHasher",
    "PasswordProfile",
    "RefreshClaims",
    "RefreshReuseError",
    "RevocationList",
    "RevokedTokenError",
    "SessionError",
    "SessionRevokedError",
    "StoreError",
    "SystemClock",
    "ThrottledError",
    "TokenError",
    "TokenIssuer",
    "TokenPolicy",
    "TokenTooLargeError",
    "TokenVerifier",
    "UnknownKeyError",
    "WeakPasswordError",
    "WeakSecretError",
    "WrongTokenTypeError",
    "check_password_policy",
    "check_secret_strength",
    "derive_csrf_secret",
    "generate_hmac_key",
    "is_rotation_due",
    "keyring_from_json",
    "keyring_from_secret",
    "keyring_to_json",
    "load_or_create_dev_keyring",
    "retire_expired_keys",
    "rotate",
]
