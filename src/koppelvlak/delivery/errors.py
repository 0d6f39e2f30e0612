"""Domain errors of the delivery context, each with its HTTP status (one handler renders them)."""

from __future__ import annotations

from datetime import datetime

from koppelvlak.errors import Conflict, KoppelvlakError, NotFound


class NoticeUnknown(NotFound):
    """No such notice for this caller: unknown and another provider's look the same (404)."""

    title = "Unknown deletion notice"


class NoticeAlreadyAcknowledged(Conflict):
    """A replayed acknowledgement: the first one stands, nothing changes (409)."""

    title = "Deletion notice already acknowledged"

    def __init__(self, acknowledged_at: datetime) -> None:
        super().__init__(f"this notice was acknowledged at {acknowledged_at.isoformat()}")
        self.acknowledged_at = acknowledged_at


class DeliveryUnknown(NotFound):
    title = "Unknown delivery"


class EndpointRefused(KoppelvlakError):
    """A push endpoint that is not HTTPS (plain HTTP only to loopback, when allowed)."""

    status = 422
    title = "Push endpoint refused"
