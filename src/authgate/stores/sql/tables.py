"""The SQL schema as SQLAlchemy Core tables: the one place column names live.

Times are ``float`` seconds since the Unix epoch in ``DOUBLE PRECISION``
columns (``REAL`` on SQLite, an IEEE double), the same type the records and
the injected ``Clock`` use, so nothing converts on the way in or out and
exact boundaries (``now - spent_at <= grace``) compare the same in every
backend.  Refresh tokens are stored only as their SHA-256 (``token_hash``).

The hand-written migration ``migrations/versions/0001_initial.py`` must
create exactly this schema; ``tests/stores/test_migrations.py`` compares the
two with Alembic's autogenerate diff.  Constraint names follow
:data:`NAMING_CONVENTION` so migrations can refer to them.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

__all__ = [
    "NAMING_CONVENTION",
    "access_tokens",
    "families",
    "metadata",
    "refresh_tokens",
    "revoked_tokens",
    "users",
]

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),  # opaque random id, the tokens' `sub`
    Column("email", Text, nullable=False),  # as the user typed it
    Column("email_key", Text, nullable=False, unique=True),  # email.casefold()
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

families = Table(
    "families",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("last_used_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("ip", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("revoked_at", Double, nullable=True),
    Column("revoked_reason", Text, nullable=True),
    Index(None, "user_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),  # SHA-256 of the token text
    Column("family_id", Text, ForeignKey("families.id", ondelete="CASCADE"), nullable=False),
    Column("issued_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("spent_at", Double, nullable=True),
    Column("successor_box", LargeBinary, nullable=True),
    Index(None, "family_id"),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("jti", Text, primary_key=True),
    Column("family_id", Text, ForeignKey("families.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", Double, nullable=False),
    Index(None, "family_id"),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", Text, primary_key=True),
    Column("expires_at", Double, nullable=False),
    Index(None, "expires_at"),
)
