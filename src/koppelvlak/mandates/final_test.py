"""The final-test (eindtoets) flow: which connection delivers the participants, and both steps.

A school marks a test supplier's connection as its final-test connection: the release engine
then releases only students of year group 8 enrolled on the reference date (ADR 0108), and a
delivery for the service "Logistiek Proces Eindtoets PO" needs the school's mandate of the
supplier. ``status`` shows the school both steps: participants delivered (from the ledger) and
results received (from ``results``), with the mandate check beside them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.connections import service as connections
from koppelvlak.connections.states import state_at
from koppelvlak.kit.clock import as_utc
from koppelvlak.mandates import repository
from koppelvlak.mandates.errors import InvalidMandate
from koppelvlak.mandates.identifiers import parse_party
from koppelvlak.mandates.models import FinalTestRule
from koppelvlak.mandates.service import FINAL_TEST_SERVICE, school_in_board, valid_mandate
from koppelvlak.providers import repository as providers

_YEAR_GROUP = re.compile(r"^[0-9A-Za-z]{1,2}$")
FINAL_TEST_YEAR_GROUP = "8"


@dataclass(frozen=True)
class FinalTestStatus:
    connection_id: uuid.UUID
    provider: str
    party: str
    connection_state: str
    year_group: str
    reference_date: date
    mandate_valid: bool
    mandate_valid_until: date | None
    participants_delivered: int  # distinct people in the ledger for this connection
    last_delivered_at: datetime | None
    results_received: int  # result rows returned over BrengLeerresultaten
    last_results_at: datetime | None


def set_rule(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    reference_date: date,
    party: str | None = None,
    year_group: str = FINAL_TEST_YEAR_GROUP,
    actor: str,
    at: datetime,
) -> FinalTestRule:
    """Make a connection of the board the final-test connection; the kept release follows."""
    connection = connections.get(session, board_id, connection_id)
    if not _YEAR_GROUP.match(year_group):
        raise InvalidMandate(f"year group {year_group[:8]!r} is not valid")
    provider = providers.provider(session, connection.provider_id)
    assert provider is not None  # foreign key
    number = parse_party(party if party is not None else provider.kvk_number).number
    rule = repository.final_test_rule(session, connection.id)
    if rule is None:
        rule = FinalTestRule(board_id=board_id, connection_id=connection.id)
        session.add(rule)
    rule.service, rule.party, rule.year_group = FINAL_TEST_SERVICE, number, year_group
    rule.reference_date, rule.set_by, rule.set_at = reference_date, actor, at
    connections.record(
        session,
        connection,
        actor=actor,
        action="set_final_test",
        at=at,
        detail={
            "year_group": year_group,
            "reference_date": reference_date.isoformat(),
            "party": number,
        },
    )
    session.flush()
    return rule


def status(
    session: Session, board_id: uuid.UUID, school: str, at: datetime
) -> list[FinalTestStatus]:
    """Each final-test connection of the school with its mandate, deliveries and results."""
    found_school = school_in_board(session, board_id, school)
    shown: list[FinalTestStatus] = []
    for rule, provider_id in repository.final_test_rules_of_school(
        session, board_id, found_school.id
    ):
        connection = connections.get(session, board_id, rule.connection_id)
        provider = providers.provider(session, provider_id)
        assert provider is not None  # foreign key
        mandate = valid_mandate(
            session, school_id=found_school.id, service=rule.service, party=rule.party, at=at
        )
        delivered = [
            d
            for d in audit.disclosures_for_provider(session, board_id, provider_id)
            if d.connection_id == connection.id
        ]
        people = {p for d in delivered for p in d.person_ids}
        results, last = repository.results_of_connection(session, board_id, connection.id)
        shown.append(
            FinalTestStatus(
                connection_id=connection.id,
                provider=provider.name,
                party=rule.party,
                connection_state=state_at(connection.state, connection.ends_at, at).value,
                year_group=rule.year_group,
                reference_date=rule.reference_date,
                mandate_valid=mandate is not None,
                mandate_valid_until=None if mandate is None else mandate.valid_until,
                participants_delivered=len(people),
                last_delivered_at=max((as_utc(d.recorded_at) for d in delivered), default=None),
                results_received=results,
                last_results_at=None if last is None else as_utc(last),
            )
        )
    return shown
