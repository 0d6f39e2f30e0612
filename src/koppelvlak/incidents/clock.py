"""The 72-hour clock of GDPR article 33: notify the authority within 72 hours of awareness.

Pure: from the report's moment, the DPO's assessment and 'now' to a state a person can read.
The clock starts when the provider's report reaches the school (``reported_at``): that is when
the controller becomes aware (ADR 0109).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from koppelvlak.kit.clock import as_utc

NOTIFY_WITHIN = timedelta(hours=72)


@dataclass(frozen=True)
class Art33Clock:
    deadline: datetime
    state: str  # running | overdue | notified | notified_late | not_required
    seconds_left: int  # negative once overdue; 0 once settled
    text: str


def art33_clock(
    reported_at: datetime,
    at: datetime,
    *,
    notifiable: bool | None,
    notified_at: datetime | None,
) -> Art33Clock:
    deadline = as_utc(reported_at) + NOTIFY_WITHIN
    if notified_at is not None:
        late = as_utc(notified_at) > deadline
        when = as_utc(notified_at).isoformat()
        if late:
            return Art33Clock(deadline, "notified_late", 0, f"authority notified {when}, late")
        return Art33Clock(deadline, "notified", 0, f"authority notified {when}, in time")
    if notifiable is False:
        return Art33Clock(deadline, "not_required", 0, "assessed: no notification required")
    left = int((deadline - as_utc(at)).total_seconds())
    if left < 0:
        return Art33Clock(deadline, "overdue", left, f"overdue by {_span(-left)}")
    return Art33Clock(deadline, "running", left, f"{_span(left)} left to notify the authority")


def _span(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min"
