"""Wiring: from :class:`~authgate.config.Settings` to ready-to-use services.

The one composition root shared by the server and the CLI, so both refuse
the same unsafe configurations with the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authgate.config import Settings, check_production
from authgate.core.claims import TokenPolicy
from authgate.core.clock import Clock, SystemClock
from authgate.core.csrf import CsrfTokens, derive_csrf_secret
from authgate.core.errors import ConfigurationError, KeyringError
from authgate.core.keyconfig import (
    keyring_from_json,
    keyring_from_secret,
    load_or_create_dev_keyring,
)
from authgate.core.keys import KeyRing
from authgate.core.passwords import PROFILES, PasswordHasher
from authgate.core.revocation import MemoryRevocationList
from authgate.core.tokens import TokenIssuer, TokenVerifier
from authgate.service.accounts import Accounts
from authgate.service.events import EventSink, JsonLinesSink
from authgate.service.revocation import Revoker
from authgate.service.sessions import Sessions
from authgate.service.throttle import LoginThrottle, ThrottlePolicy
from authgate.service.verify import AccessVerifier
from authgate.stores import sql
from authgate.stores.memory import MemoryThrottleStore

__all__ = ["Runtime", "build_keyring", "build_policy", "build_runtime"]


def build_keyring(settings: Settings, clock: Clock) -> tuple[KeyRing, bool]:
    """The configured key ring, or a persisted dev key; ``True`` if just generated.

    Configured keys always win over the dev key, so several dev instances can
    share one ``AUTHGATE_JWT_SECRET``.

    Raises:
        KeyringError: weak/invalid keys, both forms set, or no key outside dev.
    """
    if settings.jwt_keys is not None and settings.jwt_secret is not None:
        raise KeyringError("set AUTHGATE_JWT_SECRET or AUTHGATE_JWT_KEYS, not both")
    if settings.jwt_keys is not None:
        return keyring_from_json(settings.jwt_keys.get_secret_value()), False
    if settings.jwt_secret is not None:
        return keyring_from_secret(settings.jwt_secret.get_secret_value()), False
    if settings.dev:
        return load_or_create_dev_keyring(settings.dev_key_file, now=clock.now())
    raise KeyringError(
        "no signing key: set AUTHGATE_JWT_SECRET (generate one with `authgate keys generate`)"
    )


def build_policy(settings: Settings) -> TokenPolicy:
    return TokenPolicy(
        issuer=settings.issuer,
        audience=settings.audience,
        access_ttl=settings.access_ttl,
        refresh_ttl=settings.refresh_ttl,
        leeway=settings.leeway,
    )


def _csrf_tokens(keyring: KeyRing) -> CsrfTokens:
    hmac_keys = [keyring.active] + [k for k in keyring.keys if k is not keyring.active]
    secrets = [
        derive_csrf_secret(k.material)
        for k in hmac_keys
        if isinstance(k.material, bytes) and k.state.value != "retired"
    ]
    if not secrets:
        raise ConfigurationError("CSRF tokens need at least one HS256 key in the key ring")
    return CsrfTokens(secrets)


@dataclass(slots=True)
class Runtime:
    """Everything a running authgate needs; close with :meth:`aclose`."""

    settings: Settings
    clock: Clock
    keyring: KeyRing
    policy: TokenPolicy
    issuer: TokenIssuer
    verifier: TokenVerifier
    revocations: MemoryRevocationList
    revoker: Revoker
    accounts: Accounts
    sessions: Sessions
    access: AccessVerifier
    csrf: CsrfTokens
    events: EventSink
    engine: Any = field(repr=False)
    dev_key_created: bool = False

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def check_ready(self) -> dict[str, bool]:
        """Which configured stores answer right now."""
        return {"database": await sql.ping(self.engine)}


async def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    events: EventSink | None = None,
    migrate: bool | None = None,
) -> Runtime:
    """Build and start everything; refuse unsafe settings all at once.

    ``migrate`` defaults to applying migrations automatically for SQLite only
    (PostgreSQL schemas change under an operator's ``authgate db upgrade``).

    Raises:
        ConfigurationError: every problem found, one line each.
    """
    clock = clock or SystemClock()
    events = events or JsonLinesSink()
    problems = check_production(settings)
    keyring: KeyRing | None = None
    dev_key_created = False
    try:
        keyring, dev_key_created = build_keyring(settings, clock)
    except KeyringError as err:
        if not any("signing key" in p for p in problems):
            problems.append(str(err))
    try:
        policy = build_policy(settings)
    except ConfigurationError as err:
        problems.extend(err.problems)
    if problems or keyring is None:
        raise ConfigurationError(problems)

    url = sql.normalize_database_url(settings.database_url)
    if migrate if migrate is not None else url.startswith("sqlite"):
        await sql.upgrade(url)
    engine = sql.create_engine(url)
    revocations = MemoryRevocationList(clock, leeway=policy.leeway)
    revoker = Revoker(revocations, sql.SqlRevokedTokenStore(engine), clock)
    issuer = TokenIssuer(keyring, policy, clock)
    verifier = TokenVerifier(keyring, policy, clock, revocations)
    sessions = Sessions(
        sql.SqlSessionStore(engine),
        revoker,
        issuer,
        verifier,
        events,
        clock,
        grace_seconds=settings.refresh_grace_seconds,
    )
    throttle = LoginThrottle(
        MemoryThrottleStore(),
        ThrottlePolicy(
            account_limit=settings.login_account_limit,
            ip_limit=settings.login_ip_limit,
            window=settings.login_window,
            base_delay=settings.login_base_delay,
            max_delay=max(settings.login_window, settings.login_base_delay),
        ),
        clock,
    )
    hasher = PasswordHasher(PROFILES[settings.password_profile])
    accounts = Accounts(sql.SqlUserStore(engine), hasher, throttle, sessions, events, clock)
    runtime = Runtime(
        settings=settings,
        clock=clock,
        keyring=keyring,
        policy=policy,
        issuer=issuer,
        verifier=verifier,
        revocations=revocations,
        revoker=revoker,
        accounts=accounts,
        sessions=sessions,
        access=AccessVerifier(verifier, events, clock),
        csrf=_csrf_tokens(keyring),
        events=events,
        engine=engine,
        dev_key_created=dev_key_created,
    )
    await revoker.load()
    return runtime
