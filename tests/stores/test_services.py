"""The PostgreSQL test fixture cannot let a dead service pass silently."""

from __future__ import annotations

import pytest

from contracts.backends import require_postgres

DEAD = "postgresql://postgres@127.0.0.1:1/test?connect_timeout=2"


async def test_unreachable_postgres_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Locally, tests needing PostgreSQL are skipped with the reason."""
    monkeypatch.delenv("AUTHGATE_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="does not answer"):
        await require_postgres(DEAD)


async def test_required_postgres_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """With AUTHGATE_REQUIRE_SERVICES=1 (CI) an unreachable PostgreSQL fails."""
    monkeypatch.setenv("AUTHGATE_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="AUTHGATE_REQUIRE_SERVICES"):
        await require_postgres(DEAD)
