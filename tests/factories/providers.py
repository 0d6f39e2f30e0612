"""Provider, dataset and connection set-ups, built through the real services.

Provider data is made by the services (not by inserting rows) so every test goes through the
same validation a provider or admin meets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import factory
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.connections.models import Connection, ScopeKind, UwlrProfile
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState, Provider
from koppelvlak.providers.schemas import Application, DatasetSpec, DatasetVersionView
from koppelvlak.roster.models import Board, School
from tests.factories.roster import BoardFactory, SchoolFactory

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class ApplicationFactory(factory.Factory):
    class Meta:
        model = Application

    class Params:
        unsigned = factory.Trait(covenant_signed_on=None, processing_agreement_on=None)

    name = factory.Sequence(lambda n: f"Leermiddel {n} B.V.")
    kvk_number = factory.Sequence(lambda n: f"{10000000 + n:08d}")
    contact_email = "contact@example.nl"
    security_contact_email = "security@example.nl"
    privacy_statement_url = "https://example.nl/privacy"
    covenant_signed_on = date(2025, 6, 1)
    processing_agreement_on = date(2025, 6, 2)
    processing_agreement_version = "2.1"


def accredited_provider(session: Session, at: datetime = T0, **fields: object) -> Provider:
    provider = providers.apply(session, ApplicationFactory(**fields), at)
    return providers.accredit(
        session, provider.id, AccreditationState.ACCREDITED, actor="operator", at=at
    )


def spec(
    attributes: dict[str, bool] | None = None,
    purpose: str = "learning_materials",
    entity_types: frozenset[str] = frozenset({"students"}),
) -> DatasetSpec:
    return DatasetSpec(
        attributes=attributes or {"student.given_name": True, "student.year_group": False},
        purpose_code=purpose,
        entity_types=entity_types,
    )


@dataclass
class Setup:
    board: Board
    school: School
    provider: Provider
    app_id: uuid.UUID
    version: DatasetVersionView
    connection: Connection


def board_with_school(session: Session) -> tuple[Board, School]:
    board = BoardFactory()
    school = SchoolFactory(board_id=board.id)
    session.add(board)
    session.flush()
    session.add(school)
    session.flush()
    return board, school


def connected(
    session: Session,
    dataset: DatasetSpec | None = None,
    *,
    board: Board | None = None,
    school: School | None = None,
    provider: Provider | None = None,
    scope_kind: ScopeKind = ScopeKind.WHOLE_SCHOOL,
    licensed_only: bool = False,
    activate: bool = True,
    at: datetime = T0,
) -> Setup:
    """An accredited provider with an app and dataset, requested (and approved) by a school."""
    if board is None or school is None:
        board, school = board_with_school(session)
    provider = provider or accredited_provider(session, at)
    app = providers.add_app(session, provider.id, f"App {uuid.uuid4().hex[:6]}")
    version = providers.add_dataset_version(
        session, app.id, dataset or spec(), actor="provider", at=at
    )
    connection = connections.request(
        session,
        board_id=board.id,
        school_id=school.id,
        app_id=app.id,
        actor="admin:test",
        at=at,
        scope_kind=scope_kind,
        licensed_only=licensed_only,
    )
    if activate:
        if version.sensitive:
            connections.sign_off(session, board.id, connection.id, actor="dpo:test", at=at)
        connections.approve(session, board.id, connection.id, actor="admin:test", at=at)
    return Setup(board, school, provider, app.id, version, connection)


def uwlr_connected(
    session: Session,
    board: Board,
    school: School,
    attributes: dict[str, bool],
    *,
    name: str,
    klantcode: str,
    key: str,
) -> tuple[uuid.UUID, uuid.UUID]:
    """An accredited provider with an active Smalle-set connection and a UWLR key for the school.

    Returns (provider id, connection id).
    """
    provider = accredited_provider(session, T0, name=name)
    app = providers.add_app(session, provider.id, f"{name} app")
    version = providers.add_dataset_version(
        session,
        app.id,
        spec(attributes, entity_types=frozenset({"students", "groups", "staff"})),
        actor="provider",
        at=T0,
    )
    connection = connections.request(
        session,
        board_id=board.id,
        school_id=school.id,
        app_id=app.id,
        actor="admin:test",
        at=T0,
        uwlr_profile=UwlrProfile.SMALLE_SET,
    )
    if version.sensitive:
        connections.sign_off(session, board.id, connection.id, actor="dpo:test", at=T0)
    connections.approve(session, board.id, connection.id, actor="admin:test", at=T0)
    providers.create_uwlr_key(
        session,
        provider.id,
        board.id,
        [(school.brin, school.location_code)],
        T0,
        klantcode=klantcode,
        autorisatiesleutel=key,
    )
    return provider.id, connection.id
