"""TokenPolicy: weak or inconsistent settings are refused, all at once."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core import ConfigurationError, TokenPolicy
from authgate.core.claims import MAX_LEEWAY, RESERVED_CLAIMS

ISSUER = "https://auth.example.test"
AUDIENCE = "https://api.example.test"


def _policy(**changes: Any) -> TokenPolicy:
    return TokenPolicy(**{"issuer": ISSUER, "audience": AUDIENCE, **changes})


def test_defaults_are_the_documented_ones() -> None:
    """15 min access, 7 days refresh, 30 s leeway, 8 KiB cap, no extra claims."""
    policy = _policy()
    assert (policy.access_ttl, policy.refresh_ttl, policy.leeway) == (900, 604_800, 30)
    assert policy.max_token_bytes == 8192
    assert policy.extra_claims == frozenset()
    assert policy.refresh_audience == f"{ISSUER}#refresh"


@pytest.mark.parametrize(("leeway", "accepted"), [(-1, False), (0, True), (30, True), (31, False)])
def test_leeway_is_between_0_and_30_seconds(leeway: int, accepted: bool) -> None:
    """Clock-skew leeway above 30 s (or negative) is refused, not clamped."""
    assert MAX_LEEWAY == 30
    if accepted:
        assert _policy(leeway=leeway).leeway == leeway
    else:
        with pytest.raises(ConfigurationError, match="leeway"):
            _policy(leeway=leeway)


@pytest.mark.parametrize(
    "changes",
    [{"access_ttl": 0}, {"access_ttl": -60}, {"refresh_ttl": 0}, {"refresh_ttl": -1}],
)
def test_lifetimes_must_be_positive(changes: dict[str, int]) -> None:
    """A zero or negative token lifetime is refused."""
    with pytest.raises(ConfigurationError, match="positive"):
        _policy(**changes)


def test_access_lifetime_may_not_exceed_refresh_lifetime() -> None:
    """Access tokens outliving refresh tokens is refused; equal is allowed."""
    assert _policy(access_ttl=3600, refresh_ttl=3600).access_ttl == 3600
    with pytest.raises(ConfigurationError, match="must not exceed"):
        _policy(access_ttl=3601, refresh_ttl=3600)


@pytest.mark.parametrize(
    ("size", "accepted"), [(255, False), (256, True), (8192, True), (8193, False)]
)
def test_token_size_cap_is_256_to_8192(size: int, accepted: bool) -> None:
    """The verifier's size cap can be lowered, never raised past 8 KiB."""
    if accepted:
        assert _policy(max_token_bytes=size).max_token_bytes == size
    else:
        with pytest.raises(ConfigurationError, match="max_token_bytes"):
            _policy(max_token_bytes=size)


@pytest.mark.parametrize("name", sorted(RESERVED_CLAIMS))
def test_reserved_claim_names_cannot_be_extra_claims(name: str) -> None:
    """Extra claims may not shadow registered or authgate claims (iss, sub, role, …)."""
    with pytest.raises(ConfigurationError, match="reserved"):
        _policy(extra_claims=frozenset({name}))


@pytest.mark.parametrize("name", ["Tenant", "1tenant", "ten-ant", "", "t" * 33, "tenant "])
def test_extra_claim_names_are_short_lower_case_identifiers(name: str) -> None:
    """Extra claim names are ``[a-z][a-z0-9_]{0,31}``."""
    with pytest.raises(ConfigurationError):
        _policy(extra_claims=frozenset({name}))
    assert _policy(extra_claims=frozenset({"tenant_id"})).extra_claims == {"tenant_id"}


def test_audience_must_differ_from_the_refresh_audience() -> None:
    """An access audience equal to ``<issuer>#refresh`` would let the two token
    kinds share an audience."""
    with pytest.raises(ConfigurationError, match="refresh audience"):
        _policy(audience=f"{ISSUER}#refresh")


def test_every_problem_is_reported_at_once() -> None:
    """One error lists every problem (argon2 ``_check_types`` style)."""
    with pytest.raises(ConfigurationError) as info:
        TokenPolicy(
            issuer="",
            audience="",
            access_ttl=0,
            leeway=31,
            max_token_bytes=10_000,
            extra_claims=frozenset({"sub", "Bad"}),
        )
    problems = info.value.problems
    assert len(problems) == 7
    for fragment in (
        "issuer",
        "audience",
        "leeway",
        "positive",
        "max_token_bytes",
        "'sub'",
        "'Bad'",
    ):
        assert any(fragment in problem for problem in problems), fragment
    assert isinstance(info.value, ValueError)


def test_max_token_age_covers_the_longest_lifetime_plus_leeway() -> None:
    """Rotation keeps a key for the longest token lifetime plus the leeway."""
    assert _policy(access_ttl=600, refresh_ttl=86_400, leeway=20).max_token_age == 86_420


def test_policy_is_frozen() -> None:
    """A policy cannot be loosened after construction (validated once)."""
    policy = _policy()
    with pytest.raises(AttributeError):
        policy.leeway = 3600  # type: ignore[misc]  # the point: frozen dataclass
