"""Two providers on the demo board, made through the real services (not by inserting rows).

``Leesapp`` has one connection (the primary school) whose dataset releases names, groups and
staff; ``Toetsleverancier`` has two (both schools) whose dataset adds family name and birth date,
so it alone justifies the demographics scope. Each gets a client credential.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.roster.models import Board, School
from tests.factories.providers import accredited_provider, connected

READING = {
    "student.given_name": True,
    "student.year_group": False,
    "student.groups": True,
    "staff.given_name": True,
    "staff.groups": True,
    "group.name": True,
    "group.year_group": False,
}
TEST_SUPPLIER = {
    "student.given_name": True,
    "student.family_name": True,
    "student.birth_date": True,
    "student.eckid": False,
    "student.groups": True,
    "group.name": True,
}


def _provider(
    session: Session,
    *,
    name: str,
    attributes: dict[str, bool],
    purpose: str,
    schools: list[School],
    board: Board,
) -> dict[str, Any]:
    at = utcnow() - timedelta(minutes=5)
    provider = accredited_provider(session, at, name=name)
    dataset = DatasetSpec(
        attributes=attributes,
        purpose_code=purpose,
        entity_types=frozenset({"students", "staff", "groups"}),
    )
    for school in schools:
        connected(session, dataset, board=board, school=school, provider=provider, at=at)
    issued = providers.create_credential(session, provider.id, at)
    return {
        "name": name,
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
        "schools": [{"brin": s.brin, "location": s.location_code} for s in schools],
        "dataset": {"attributes": sorted(attributes)},
    }


def add_providers(session: Session) -> list[dict[str, Any]]:
    board = session.scalars(select(Board)).one()
    schools = list(session.scalars(select(School).order_by(School.brin)))
    return [
        _provider(
            session,
            name="Leesapp B.V.",
            attributes=READING,
            purpose="learning_materials",
            schools=schools[:1],
            board=board,
        ),
        _provider(
            session,
            name="Toetsleverancier B.V.",
            attributes=TEST_SUPPLIER,
            purpose="final_test",
            schools=schools,
            board=board,
        ),
    ]
