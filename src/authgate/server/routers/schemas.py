"""Request and response bodies of the HTTP contract (shared/API.md).

Field limits bound the work a request can cause (a 1 MB "password" would
cost argon2 time; the policy caps passwords at 1024 bytes, and the model
refuses anything longer than 4096 characters before hashing).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CsrfOut",
    "LoginIn",
    "MeOut",
    "PasswordIn",
    "Problem",
    "RefreshIn",
    "RegisterIn",
    "SessionOut",
    "SessionStartedOut",
    "UserOut",
    "problem_responses",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class RegisterIn(_In):
    email: str = Field(max_length=320, examples=["ada@example.com"])
    password: str = Field(max_length=4096)
    login: bool = Field(False, description="also start a session (register-with-login)")


class LoginIn(_In):
    email: str = Field(max_length=320)
    password: str = Field(max_length=4096)


class RefreshIn(_In):
    refresh_token: str | None = Field(None, max_length=8192)


class PasswordIn(_In):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(max_length=4096)


class UserOut(BaseModel):
    id: str
    email: str


class MeOut(UserOut):
    role: str


class SessionStartedOut(BaseModel):
    """Cookie transport: only the CSRF token; bearer: the OAuth-style token body."""

    id: str | None = None
    email: str | None = None
    csrf_token: str | None = None
    access_token: str | None = None
    token_type: str | None = None
    expires_in: int
    refresh_token: str | None = None
    refresh_expires_in: int


class SessionOut(BaseModel):
    id: str
    created_at: str
    last_used_at: str
    ip: str | None
    user_agent: str | None
    current: bool


class CsrfOut(BaseModel):
    csrf_token: str


class Problem(BaseModel):
    """RFC 9457 problem details plus authgate's stable ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": Problem, "content": {"application/problem+json": {}}}
        for status in statuses
    }
