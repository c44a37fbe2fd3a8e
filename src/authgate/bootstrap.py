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
from authgate.service.events import EventSink, JsonLinesSink, SecurityEvent
from authgate.service.revocation import Revoker
from authgate.service.sessions import Sessions
from authgate.service.throttle import LoginThrottle, ThrottlePolicy
from authgate.service.verify import AccessVerifier
from authgate.stores import redis as redis_stores
from authgate.stores import sql
from authgate.stores.memory import MemoryThrottleStore
from authgate.stores.protocols import RevokedTokenStore, ThrottleStore

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


def _shared_state(
    settings: Settings,
    policy: TokenPolicy,
    clock: Clock,
    events: EventSink,
    durable: list[RevokedTokenStore],
) -> tuple[
    ThrottleStore,
    MemoryRevocationList | redis_stores.RevocationSync,
    Any,
    redis_stores.RevocationSync | None,
]:
    """In-process state on one instance; Redis-backed when REDIS_URL is set.

    With Redis, revocations are written to SQL (durable) *and* Redis (fan-out,
    appended to ``durable``); verify reads the in-memory copy kept by the sync.
    """
    if not settings.redis_url:
        return MemoryThrottleStore(), MemoryRevocationList(clock, leeway=policy.leeway), None, None
    client = redis_stores.create_client(settings.redis_url)
    redis_revoked = redis_stores.RedisRevokedTokenStore(client, leeway=policy.leeway, clock=clock)
    sync = redis_stores.RevocationSync(
        redis_revoked,
        clock,
        durable=durable[:1],
        policy=settings.revocation_failure_mode,
        max_staleness=(
            settings.revocation_max_staleness
            if settings.revocation_failure_mode == "fail_open"
            else None
        ),
        on_state_change=lambda ok: events.emit(
            SecurityEvent.of(
                "store.recovered" if ok else "store.unavailable", "redis", timestamp=clock.now()
            )
        ),
    )
    durable.append(redis_revoked)
    return redis_stores.RedisThrottleStore(client), sync, client, sync


@dataclass(slots=True)
class Runtime:
    """Everything a running authgate needs; close with :meth:`aclose`."""

    settings: Settings
    clock: Clock
    keyring: KeyRing
    policy: TokenPolicy
    issuer: TokenIssuer
    verifier: TokenVerifier
    revocations: MemoryRevocationList | redis_stores.RevocationSync
    revoker: Revoker
    accounts: Accounts
    sessions: Sessions
    access: AccessVerifier
    csrf: CsrfTokens
    events: EventSink
    engine: Any = field(repr=False)
    redis: Any = field(default=None, repr=False)
    sync: redis_stores.RevocationSync | None = field(default=None, repr=False)
    dev_key_created: bool = False

    async def aclose(self) -> None:
        self.accounts.hashing.close()
        if self.sync is not None:
            await self.sync.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()

    async def check_ready(self) -> dict[str, bool]:
        """Which configured stores answer right now."""
        checks = {"database": await sql.ping(self.engine)}
        if self.sync is not None:
            checks["redis"] = self.sync.synchronised
        return checks


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
    elif await sql.current_revision(url) != sql.head_revision():
        raise ConfigurationError(
            "the database schema is not current: run `authgate db upgrade` first"
        )
    engine = sql.create_engine(url)
    durable: list[RevokedTokenStore] = [sql.SqlRevokedTokenStore(engine)]
    throttle_store, revocations, client, sync = _shared_state(
        settings, policy, clock, events, durable
    )
    revoker = Revoker(revocations, durable, clock, leeway=policy.leeway, load_from=durable[:1])
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
        throttle_store,
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
        redis=client,
        sync=sync,
        dev_key_created=dev_key_created,
    )
    try:
        await revoker.load()
        if sync is not None:
            await sync.start()  # subscribes, then loads Redis's and SQL's live entries
            # Bounded: with Redis down the instance still starts, fails closed
            # and reports not-ready until the sync catches up.
            await sync.wait_synchronised(5.0)
    except BaseException:
        await runtime.aclose()
        raise
    return runtime
