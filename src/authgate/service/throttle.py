"""Login throttling: failures per account and per client IP, sliding window.

Past ``limit`` failures within ``window`` seconds, each further attempt must
wait ``base_delay * 2**(failures - limit)`` seconds (capped) after the latest
failure: exponential backoff that slows online guessing to a crawl without
locking the real user out for long.  A success resets the account counter
(not the IP one: one good password must not launder an IP's spraying).
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.core.clock import Clock
from authgate.core.errors import ConfigurationError, ThrottledError
from authgate.stores.protocols import ThrottleStore

__all__ = ["LoginThrottle", "ThrottlePolicy"]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    account_limit: int = 5
    ip_limit: int = 20
    window: float = 15 * 60.0
    base_delay: float = 30.0
    max_delay: float = 15 * 60.0

    def __post_init__(self) -> None:
        if min(self.account_limit, self.ip_limit) < 1 or self.window <= 0:
            raise ConfigurationError("throttle limits and window must be positive")
        if not 0 < self.base_delay <= self.max_delay:
            raise ConfigurationError("throttle base_delay must be positive and <= max_delay")

    def retry_after(self, failures: int, latest: float | None, limit: int, now: float) -> float:
        if failures < limit or latest is None:
            return 0.0
        delay = min(self.max_delay, self.base_delay * 2.0 ** min(failures - limit, 32))
        return max(0.0, latest + delay - now)


class LoginThrottle:
    """Counts failed logins in a :class:`ThrottleStore` shared by all instances."""

    __slots__ = ("clock", "policy", "store")

    def __init__(self, store: ThrottleStore, policy: ThrottlePolicy, clock: Clock) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    @staticmethod
    def _keys(account: str, ip: str | None) -> tuple[str, str | None]:
        return f"acct:{account.casefold()}", (f"ip:{ip}" if ip else None)

    async def check(self, account: str, ip: str | None) -> None:
        """Raises ThrottledError (with retry_after) while either counter is over."""
        now, policy = self.clock.now(), self.policy
        account_key, ip_key = self._keys(account, ip)
        wait = policy.retry_after(
            *await self.store.failures(account_key, now=now, window=policy.window),
            policy.account_limit,
            now,
        )
        if ip_key is not None:
            count, latest = await self.store.failures(ip_key, now=now, window=policy.window)
            wait = max(wait, policy.retry_after(count, latest, policy.ip_limit, now))
        if wait > 0:
            raise ThrottledError(int(wait) + 1)

    async def failed(self, account: str, ip: str | None) -> None:
        now, window = self.clock.now(), self.policy.window
        account_key, ip_key = self._keys(account, ip)
        await self.store.record_failure(account_key, now=now, window=window)
        if ip_key is not None:
            await self.store.record_failure(ip_key, now=now, window=window)

    async def succeeded(self, account: str) -> None:
        await self.store.reset(self._keys(account, None)[0])
