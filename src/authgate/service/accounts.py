"""Accounts: registration, login, password change, admin changes.

Login takes the same time whether or not the account exists (a dummy argon2
verification for unknown users, a real one for disabled users) and its error
never says which part was wrong.  argon2 runs in a worker thread: it takes
tens of milliseconds of CPU and must never block the event loop
(``service/hashing.py``).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Final

from authgate.core.clock import Clock
from authgate.core.errors import (
    InvalidCredentialsError,
    InvalidEmailError,
    NotFoundError,
    ThrottledError,
    WeakPasswordError,
)
from authgate.core.passwords import MAX_PASSWORD_BYTES, PasswordHasher, check_password_policy
from authgate.service.context import ClientInfo
from authgate.service.events import EventSink, SecurityEvent
from authgate.service.hashing import HashingPool
from authgate.service.sessions import Sessions
from authgate.service.throttle import LoginThrottle
from authgate.stores.protocols import UserStore
from authgate.stores.records import User

__all__ = ["ROLES", "Accounts", "new_user_id", "normalize_email"]

ROLES: Final = frozenset({"user", "admin"})
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{1,63}")


def normalize_email(email: str) -> str:
    """Trimmed email, or InvalidEmailError; uniqueness is on ``casefold()``."""
    email = email.strip() if isinstance(email, str) else ""
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidEmailError("email must be an address like name@example.com")
    return email


def new_user_id() -> str:
    """128 random bits: the pseudonymous ``sub``; reveals nothing about the user."""
    return "u_" + secrets.token_urlsafe(16)


class Accounts:
    __slots__ = ("clock", "events", "hasher", "hashing", "sessions", "throttle", "users")

    def __init__(
        self,
        users: UserStore,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        sessions: Sessions,
        events: EventSink,
        clock: Clock,
        *,
        hashing: HashingPool | None = None,
    ) -> None:
        self.users = users
        self.hashing = hashing or HashingPool()
        self.hasher = hasher
        self.throttle = throttle
        self.sessions = sessions
        self.events = events
        self.clock = clock

    def _emit(self, event: str, code: str, client: ClientInfo | None, **ids: str | None) -> None:
        self.events.emit(SecurityEvent.of(event, code, client, timestamp=self.clock.now(), **ids))

    async def create(
        self, email: str, password: str, *, role: str = "user", client: ClientInfo | None = None
    ) -> User:
        """Register an account.

        Raises:
            InvalidEmailError, WeakPasswordError (all reasons at once),
            EmailTakenError, ValueError for an unknown role.
        """
        email = normalize_email(email)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}")
        check_password_policy(password, user_inputs=(email,))
        password_hash = await self.hashing.run(self.hasher.hash, password)
        now = self.clock.now()
        user = User(
            id=new_user_id(),
            email=email,
            password_hash=password_hash,
            role=role,
            disabled=False,
            created_at=now,
            updated_at=now,
        )
        await self.users.add(user)
        self._emit("register.succeeded", "created", client, user_id=user.id)
        return user

    async def authenticate(self, email: str, password: str, client: ClientInfo) -> User:
        """The user whose credentials these are.

        Raises:
            ThrottledError: too many recent failures for the account or IP.
            InvalidCredentialsError: anything else, deliberately unspecific.
        """
        account = email.strip().casefold() if isinstance(email, str) else ""
        try:
            await self.throttle.check(account, client.ip)
        except ThrottledError as err:
            self._emit("login.throttled", err.code, client)
            raise
        user = await self.users.get_by_email(account) if account else None
        if user is None:
            await self.hashing.run(self.hasher.verify_dummy, password)
            valid = False
        else:
            valid = await self.hashing.run(self.hasher.verify, user.password_hash, password)
        if not valid or user is None or user.disabled:
            await self.throttle.failed(account, client.ip)
            self._emit(
                "login.failed",
                InvalidCredentialsError.code,
                client,
                user_id=user.id if user else None,
            )
            raise InvalidCredentialsError("email or password is incorrect")
        await self.throttle.succeeded(account)
        if self.hasher.needs_rehash(user.password_hash):
            user = await self._store_password(user, password)
        self._emit("login.succeeded", "ok", client, user_id=user.id)
        return user

    async def _store_password(self, user: User, password: str) -> User:
        password_hash = await self.hashing.run(self.hasher.hash, password)
        user = dataclasses.replace(user, password_hash=password_hash, updated_at=self.clock.now())
        await self.users.update(user)
        return user

    async def change_password(
        self, user_id: str, current: str, new: str, *, session_id: str | None, client: ClientInfo
    ) -> None:
        """Change the password and revoke every *other* session of the user.

        Raises:
            InvalidCredentialsError: ``current`` is wrong.
            WeakPasswordError: ``new`` breaks the policy.
        """
        user = await self.get(user_id)
        if len(current.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES or not (
            await self.hashing.run(self.hasher.verify, user.password_hash, current)
        ):
            self._emit("login.failed", InvalidCredentialsError.code, client, user_id=user.id)
            raise InvalidCredentialsError("current password is incorrect")
        if new == current:
            raise WeakPasswordError(["new password must differ from the current one"])
        check_password_policy(new, user_inputs=(user.email,))
        await self._store_password(user, new)
        await self.sessions.revoke_user_sessions(
            user.id, reason="password_changed", client=client, keep_session_id=session_id
        )
        self._emit("password.changed", "ok", client, user_id=user.id, family_id=session_id)

    async def get(self, user_id: str) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFoundError("no such user")
        return user

    async def find(self, id_or_email: str) -> User:
        """By id, else by email (CLI convenience).  Raises NotFoundError."""
        user = await self.users.get(id_or_email)
        if user is None and "@" in id_or_email:
            user = await self.users.get_by_email(id_or_email.strip())
        if user is None:
            raise NotFoundError("no such user")
        return user

    async def role_of(self, user_id: str) -> str | None:
        """Role of an enabled user, else None: used by refresh (RoleLookup)."""
        user = await self.users.get(user_id)
        return None if user is None or user.disabled else user.role

    async def set_disabled(self, user_id: str, disabled: bool) -> User:
        """Disabling revokes every session and live access token at once."""
        user = dataclasses.replace(
            await self.get(user_id), disabled=disabled, updated_at=self.clock.now()
        )
        await self.users.update(user)
        if disabled:
            await self.sessions.revoke_user_sessions(user.id, reason="user_disabled")
        self._emit("user.disabled" if disabled else "user.enabled", "ok", None, user_id=user.id)
        return user

    async def set_role(self, user_id: str, role: str) -> User:
        """New tokens carry the role from the next refresh on (<= 15 min)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}")
        user = dataclasses.replace(await self.get(user_id), role=role, updated_at=self.clock.now())
        await self.users.update(user)
        self._emit("user.role_changed", role, None, user_id=user.id)
        return user

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        return await self.users.list_users(limit=limit, offset=offset)
