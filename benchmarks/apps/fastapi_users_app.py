"""fastapi-users with its JWT strategy on SQLite (aiosqlite), as its docs set it up.

Runs in ``.venv-bench``.  Routes: ``POST /auth/register``, ``POST
/auth/jwt/login`` and ``GET /users/me``; the last decodes the Bearer JWT
(PyJWT, audience ``fastapi-users:auth``) and then loads the user from SQLite
by id on every request.  ``BENCH_SECRET`` is the key, ``BENCH_DB`` the
SQLite file.
"""

# The competitor packages are not installed in the project's .venv, where
# mypy runs; there they are untyped (Any), in .venv-bench they are typed.
# mypy: disable-error-code="import-not-found, misc, no-any-return, untyped-decorator, unused-ignore"

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Final

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

__all__ = ["app"]

SECRET: Final = os.environ.get("BENCH_SECRET", "")
DATABASE_URL: Final = f"sqlite+aiosqlite:///{os.environ.get('BENCH_DB', 'fastapi-users.db')}"


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


engine = create_async_engine(DATABASE_URL)
session_maker = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncGenerator[AsyncSession, None]:
    async with session_maker() as session:
        yield session


async def get_user_db(
    session: AsyncSession = Depends(get_session),  # noqa: B008 - FastAPI's idiom
) -> AsyncGenerator[Any, None]:
    yield SQLAlchemyUserDatabase(session, User)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


async def get_user_manager(
    user_db: Any = Depends(get_user_db),  # noqa: B008 - FastAPI's idiom
) -> AsyncGenerator[UserManager, None]:
    yield UserManager(user_db)


def get_jwt_strategy() -> JWTStrategy[User, uuid.UUID]:
    return JWTStrategy(secret=SECRET, lifetime_seconds=3600)


backend = AuthenticationBackend(
    name="jwt",
    transport=BearerTransport(tokenUrl="auth/jwt/login"),
    get_strategy=get_jwt_strategy,
)
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])


@contextlib.asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
app.include_router(fastapi_users.get_auth_router(backend), prefix="/auth/jwt")
app.include_router(fastapi_users.get_register_router(UserRead, UserCreate), prefix="/auth")
app.include_router(fastapi_users.get_users_router(UserRead, UserUpdate), prefix="/users")
