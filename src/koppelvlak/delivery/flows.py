"""What follows a change of the kept releases, in the same unit of work (runtime hook).

``release.kept.refresh`` notes every kept release it moved (``kit.changes.refreshed``); just
before the unit of work commits, the runtime calls ``after_refresh``: deletion notices for the
users who left, and for push connections the changes to send. Both are written in the
transaction that made the change, so a rolled-back change leaves neither behind.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from koppelvlak.delivery import notices, push
from koppelvlak.kit import changes
from koppelvlak.kit.clock import utcnow


def after_refresh(session: Session) -> None:
    moved = changes.take_refreshed(session)
    if not moved:
        return
    at = utcnow()
    notices.notify_departures(session, sorted(moved.items(), key=lambda kv: str(kv[0])), at)
    push.enqueue_changes(session, moved, at)
