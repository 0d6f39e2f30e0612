"""Across contexts: a mandate granted releases the pushes it held back.

A push for a final-test connection without a mandate is refused and nothing is enqueued
(``delivery.push``); once the school grants the mandate, the held-back release (or the changes
since the last push) is enqueued in the same transaction, instead of waiting for the next change
of the kept release.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from koppelvlak.delivery import push
from koppelvlak.mandates import repository, service
from koppelvlak.mandates.schemas import MandateView


def grant(
    session: Session,
    board_id: uuid.UUID,
    *,
    school: str,
    service_name: str,
    party: str,
    valid_from: date,
    valid_until: date | None,
    actor: str,
    at: datetime,
) -> MandateView:
    view = service.grant(
        session,
        board_id,
        school=school,
        service=service_name,
        party=party,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
        at=at,
    )
    if view.status != "valid":
        return view
    found = service.school_in_board(session, board_id, school)
    held = {
        rule.connection_id: 0
        for rule, _provider in repository.final_test_rules_of_school(session, board_id, found.id)
        if rule.service == view.service and rule.party == view.party
    }
    if held:
        push.enqueue_changes(session, held, at)
    return view
