"""Rows to records and back: the one place column values become domain records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from authgate.stores.records import Family, User

__all__ = ["family_from_row", "family_values", "user_from_row", "user_values"]


def user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "email_key": user.email.casefold(),
        "password_hash": user.password_hash,
        "role": user.role,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def user_from_row(row: Row[*tuple[Any, ...]]) -> User:
    return User(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        role=row.role,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def family_values(family: Family) -> dict[str, Any]:
    return {
        "id": family.id,
        "user_id": family.user_id,
        "created_at": family.created_at,
        "last_used_at": family.last_used_at,
        "expires_at": family.expires_at,
        "ip": family.ip,
        "user_agent": family.user_agent,
        "revoked_at": family.revoked_at,
        "revoked_reason": family.revoked_reason,
    }


def family_from_row(row: Row[*tuple[Any, ...]]) -> Family:
    return Family(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        ip=row.ip,
        user_agent=row.user_agent,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
    )
