"""UserStore contract: every backend answers the same way."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.errors import EmailTakenError, NotFoundError
from authgate.stores.memory import MemoryUserStore
from authgate.stores.protocols import UserStore
from authgate.stores.records import User
from authgate.stores.sql import SqlUserStore

T0 = 1_800_000_000.0


def make_user(user_id: str = "u1", email: str = "Ann@Example.com", *, at: float = T0) -> User:
    return User(
        id=user_id,
        email=email,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        role="user",
        disabled=False,
        created_at=at,
        updated_at=at,
    )


class UserStoreContract:
    """Subclasses provide ``store``; every test runs against each backend."""

    @pytest.fixture
    def store(self) -> UserStore:
        raise NotImplementedError

    async def test_add_then_get_round_trips(self, store: UserStore) -> None:
        """A stored user comes back field for field, email spelling kept."""
        user = make_user()
        await store.add(user)
        assert await store.get("u1") == user

    async def test_get_unknown_is_none(self, store: UserStore) -> None:
        """An unknown id is ``None``, not an error."""
        assert await store.get("nobody") is None
        assert await store.get_by_email("nobody@example.com") is None

    async def test_get_by_email_ignores_case(self, store: UserStore) -> None:
        """Lookup by email is case-insensitive (casefold)."""
        user = make_user()
        await store.add(user)
        assert await store.get_by_email("ann@example.COM") == user
        assert await store.get_by_email("ANN@EXAMPLE.COM") == user

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("Ann@Example.com", "ann@example.com"),
            ("ann@example.com", "ANN@EXAMPLE.COM"),
            ("Straße@example.com", "STRASSE@example.com"),  # casefold, not lower()
        ],
    )
    async def test_email_unique_case_insensitively(
        self, store: UserStore, first: str, second: str
    ) -> None:
        """A second account whose email differs only in case is refused."""
        await store.add(make_user("u1", first))
        with pytest.raises(EmailTakenError):
            await store.add(make_user("u2", second))
        assert await store.get("u2") is None
        stored = await store.get_by_email(second)
        assert stored is not None
        assert stored.id == "u1"

    async def test_add_duplicate_id_is_refused(self, store: UserStore) -> None:
        """Ids are random; a duplicate is a caller bug reported as ValueError."""
        await store.add(make_user("u1", "a@example.com"))
        with pytest.raises(ValueError, match="id"):
            await store.add(make_user("u1", "b@example.com"))
        stored = await store.get("u1")
        assert stored is not None
        assert stored.email == "a@example.com"

    async def test_update_replaces_user(self, store: UserStore) -> None:
        """``update`` replaces every field of the user with that id."""
        await store.add(make_user())
        changed = dataclasses.replace(
            make_user(),
            email="new@example.com",
            password_hash="$argon2id$new",
            role="admin",
            disabled=True,
            updated_at=T0 + 5,
        )
        await store.update(changed)
        assert await store.get("u1") == changed
        assert await store.get_by_email("NEW@example.com") == changed
        assert await store.get_by_email("ann@example.com") is None

    async def test_update_may_change_case_of_own_email(self, store: UserStore) -> None:
        """Respelling one's own email is not a conflict with oneself."""
        await store.add(make_user())
        changed = dataclasses.replace(make_user(), email="ANN@example.com")
        await store.update(changed)
        assert await store.get_by_email("ann@example.com") == changed

    async def test_update_to_taken_email_is_refused(self, store: UserStore) -> None:
        """Changing an email to another user's (any case) raises EmailTakenError."""
        await store.add(make_user("u1", "a@example.com"))
        await store.add(make_user("u2", "b@example.com"))
        with pytest.raises(EmailTakenError):
            await store.update(dataclasses.replace(make_user("u2"), email="A@EXAMPLE.com"))
        stored = await store.get("u2")
        assert stored is not None
        assert stored.email == "b@example.com"

    async def test_update_missing_user_is_not_found(self, store: UserStore) -> None:
        """``update`` never creates: an unknown id raises NotFoundError."""
        with pytest.raises(NotFoundError):
            await store.update(make_user("ghost"))
        assert await store.get("ghost") is None

    async def test_list_users_by_creation_time_with_paging(self, store: UserStore) -> None:
        """Users list oldest first; limit and offset page through them."""
        for i in (3, 1, 2, 0):
            await store.add(make_user(f"u{i}", f"u{i}@example.com", at=T0 + i))
        listed = await store.list_users()
        assert [u.id for u in listed] == ["u0", "u1", "u2", "u3"]
        page = await store.list_users(limit=2, offset=1)
        assert [u.id for u in page] == ["u1", "u2"]
        assert await store.list_users(limit=2, offset=4) == []


class TestMemoryUserStore(UserStoreContract):
    @pytest.fixture
    def store(self) -> UserStore:
        return MemoryUserStore()


class TestSqliteUserStore(UserStoreContract):
    @pytest.fixture
    def store(self, sqlite_engine: AsyncEngine) -> UserStore:
        return SqlUserStore(sqlite_engine)


class TestPostgresUserStore(UserStoreContract):
    @pytest.fixture
    def store(self, postgres_engine: AsyncEngine) -> UserStore:
        return SqlUserStore(postgres_engine)
