"""Access-token verification as a use case: verify, and log every failure.

This is the hot path (every API request, every gateway sub-request): it calls
the in-memory verifier and touches no store.  A failure becomes one
``token.verify_failed`` event with the TokenError code and a fingerprint of
the token — never the token.
"""

from __future__ import annotations

from authgate.core.claims import AccessClaims
from authgate.core.clock import Clock
from authgate.core.errors import TokenError
from authgate.core.tokens import TokenVerifier
from authgate.service.context import ClientInfo
from authgate.service.events import EventSink, SecurityEvent, fingerprint

__all__ = ["AccessVerifier"]


class AccessVerifier:
    __slots__ = ("clock", "events", "verifier")

    def __init__(self, verifier: TokenVerifier, events: EventSink, clock: Clock) -> None:
        self.verifier = verifier
        self.events = events
        self.clock = clock

    def verify(self, token: str, client: ClientInfo | None = None) -> AccessClaims:
        """Raises TokenError (logged) or StoreError (revocations unknown)."""
        try:
            return self.verifier.verify_access_token(token)
        except TokenError as err:
            self.events.emit(
                SecurityEvent.of(
                    "token.verify_failed",
                    err.code,
                    client,
                    timestamp=self.clock.now(),
                    fingerprint=fingerprint(token),
                )
            )
            raise
