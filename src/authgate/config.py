"""All of authgate's settings, and the only place the environment is read.

Every field comes from ``AUTHGATE_<NAME>`` or, for Kubernetes secret volumes,
from a file named ``AUTHGATE_<NAME>`` (or ``<name>``) in ``AUTHGATE_SECRETS_DIR``
(default ``/run/secrets/authgate`` when it exists).  Environment wins over files.

Production is the default.  :func:`check_production` lists every setting that
would make the deployment unsafe, and the server refuses to start on any of
them; ``--dev`` relaxes exactly two things — a generated key when none is
configured, and no Secure flag on cookies for http://localhost — and says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from authgate.core.passwords import PROFILES

__all__ = ["Settings", "check_production", "default_secrets_dir", "load_settings"]

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def default_secrets_dir() -> str | None:
    configured = os.environ.get("AUTHGATE_SECRETS_DIR")
    if configured:
        return configured
    return "/run/secrets/authgate" if Path("/run/secrets/authgate").is_dir() else None


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """authgate configuration (``authgate serve --help`` lists these)."""

    model_config = SettingsConfigDict(
        env_prefix="AUTHGATE_",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )

    dev: bool = Field(False, description="development mode: generated key, http://localhost")
    public_url: str = Field(
        "https://localhost:8000", description="external URL of authgate; also the token issuer"
    )
    audience: str = Field("authgate-api", description="aud of access tokens (your API)")
    jwt_secret: SecretStr | None = Field(None, description="single HS256 secret, >= 32 bytes")
    jwt_keys: SecretStr | None = Field(None, description="versioned key set (JSON)")
    dev_key_file: Path = Field(Path(".authgate/dev-keys.json"), description="dev key location")
    database_url: str = Field("sqlite:///./authgate.db", description="SQLite or PostgreSQL URL")
    redis_url: str | None = Field(None, description="Redis for several instances")
    revocation_failure_mode: Literal["fail_closed", "fail_open"] = Field(
        "fail_closed",
        description="with Redis unreachable: refuse verification (fail_closed) or trust "
        "the in-memory revocation list for at most revocation_max_staleness seconds",
    )
    revocation_max_staleness: float = Field(
        10.0, gt=0, le=300, description="fail_open bound on a stale revocation list, seconds"
    )
    access_ttl: int = Field(15 * 60, description="access-token lifetime, seconds")
    refresh_ttl: int = Field(7 * 24 * 3600, description="refresh-token lifetime, seconds")
    leeway: int = Field(30, description="clock-skew leeway, seconds (max 30)")
    refresh_grace_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="window in which a just-spent refresh token gets the "
        "same successor (concurrent tabs) instead of revoking the session",
    )
    cookie_secure: bool | None = Field(
        None,
        description="Secure flag on cookies; default on, off only with --dev on "
        "http://localhost; false is refused outside --dev",
    )
    cookie_domain: str | None = Field(None, description="Domain attribute for shared cookies")
    refresh_cookie_samesite: Literal["lax", "strict"] = "lax"
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="frontend origins allowed to call with credentials"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="proxy IPs/CIDRs whose X-Forwarded-For is believed"
    )
    login_account_limit: int = Field(5, ge=1)
    login_ip_limit: int = Field(20, ge=1)
    login_window: float = Field(900.0, gt=0)
    login_base_delay: float = Field(30.0, gt=0)
    password_profile: Literal["rfc9106-low-memory", "owasp-minimum"] = "rfc9106-low-memory"  # noqa: S105 - a profile name, not a password
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=1024 * 1024)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)

    _split_cors = field_validator("cors_origins", "trusted_proxies", mode="before")(_split_list)

    @field_validator("password_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown password profile; choose one of {sorted(PROFILES)}")
        return value

    @property
    def issuer(self) -> str:
        return self.public_url.rstrip("/")

    @property
    def is_local_http(self) -> bool:
        parts = urlsplit(self.public_url)
        return parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS

    @property
    def allowed_origins(self) -> frozenset[str]:
        """Origins whose state-changing cookie requests are accepted (CSRF check)."""
        parts = urlsplit(self.public_url)
        own = f"{parts.scheme}://{parts.netloc}"
        return frozenset({own, *(o.rstrip("/") for o in self.cors_origins)})

    @property
    def effective_cookie_secure(self) -> bool:
        """Secure unless switched off explicitly (dev only) or, by default, in
        dev mode on plain-http localhost."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return not (self.dev and self.is_local_http)


def check_production(settings: Settings) -> list[str]:
    """Every unsafe setting, each as one line saying how to fix it; dev mode
    tolerates a missing key, insecure cookies and an http public URL.

    Key strength is checked when the key ring is built (it needs the secret).
    """
    problems: list[str] = []
    if "*" in settings.cors_origins:
        problems.append(
            "AUTHGATE_CORS_ORIGINS='*' cannot be combined with credentials: list the "
            "frontend origins explicitly, e.g. https://app.example.com"
        )
    for origin in settings.cors_origins:
        if origin != "*" and urlsplit(origin).scheme not in {"https", "http"}:
            problems.append(f"AUTHGATE_CORS_ORIGINS entry {origin!r} is not an http(s) origin")
    if settings.dev:
        return problems
    if settings.jwt_secret is None and settings.jwt_keys is None:
        problems.append(
            "no signing key: set AUTHGATE_JWT_SECRET (generate one with `authgate keys "
            "generate`) or AUTHGATE_JWT_KEYS, or run with --dev"
        )
    if settings.cookie_secure is False:
        problems.append(
            "AUTHGATE_COOKIE_SECURE=false is refused outside --dev: serve authgate over HTTPS"
        )
    if urlsplit(settings.public_url).scheme != "https":
        problems.append(
            "AUTHGATE_PUBLIC_URL must start with https:// outside --dev "
            "(tokens and cookies must not travel over plain http)"
        )
    return problems


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and secrets directory, then ``overrides``."""
    # _secrets_dir is a pydantic-settings init argument mypy cannot see.
    return Settings(_secrets_dir=default_secrets_dir(), **overrides)  # type: ignore[call-arg]
