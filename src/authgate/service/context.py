"""Who is calling: what the transport knows about the client, nothing HTTP."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClientInfo"]


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The client's address (after trusted-proxy resolution) and user agent.

    Both are attacker-controlled text: stores truncate them, logs quote them.
    """

    ip: str | None = None
    user_agent: str | None = None

    def __post_init__(self) -> None:
        if self.user_agent is not None and len(self.user_agent) > 512:
            object.__setattr__(self, "user_agent", self.user_agent[:512])
