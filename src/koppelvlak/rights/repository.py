"""Every query of the rights context, each scoped to one board."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.connections.models import (
    Connection,
    Objection,
    ParentalConsent,
    PersonKindColumn,
)
from koppelvlak.providers.models import App, DatasetVersion, Provider
from koppelvlak.results.models import ResultScore
from koppelvlak.rights.models import (
    RequestKind,
    RequestState,
    RightsRequest,
    RightsRequestEvent,
    UsedRightsLink,
)
from koppelvlak.roster.models import (
    Board,
    Group,
    Guardianship,
    School,
    SchoolYear,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

OPEN_STATES = (RequestState.RECEIVED, RequestState.IDENTITY_CHECKED, RequestState.APPROVED)


def board_ids(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Board.id).order_by(Board.code)))


def student(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> Student | None:
    return session.scalar(
        select(Student).where(Student.id == person_id, Student.board_id == board_id)
    )


def staff(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.id == person_id, Staff.board_id == board_id))


def school(session: Session, school_id: uuid.UUID) -> School | None:
    return session.get(School, school_id)


def is_guardian_of(
    session: Session, board_id: uuid.UUID, guardian_id: uuid.UUID, student_id: uuid.UUID
) -> bool:
    found = session.scalar(
        select(Guardianship.id).where(
            Guardianship.board_id == board_id,
            Guardianship.guardian_id == guardian_id,
            Guardianship.student_id == student_id,
            Guardianship.removed_at.is_(None),
        )
    )
    return found is not None


def request(session: Session, board_id: uuid.UUID, request_id: uuid.UUID) -> RightsRequest | None:
    return session.scalar(
        select(RightsRequest).where(
            RightsRequest.id == request_id, RightsRequest.board_id == board_id
        )
    )


def open_request(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID, kind: RequestKind
) -> RightsRequest | None:
    return session.scalar(
        select(RightsRequest).where(
            RightsRequest.board_id == board_id,
            RightsRequest.person_id == person_id,
            RightsRequest.kind == kind,
            RightsRequest.state.in_(OPEN_STATES),
        )
    )


def requests_of_board(
    session: Session, board_id: uuid.UUID, states: Iterable[RequestState] | None = None
) -> list[RightsRequest]:
    query = select(RightsRequest).where(RightsRequest.board_id == board_id)
    if states is not None:
        query = query.where(RightsRequest.state.in_(list(states)))
    return list(session.scalars(query.order_by(RightsRequest.received_at, RightsRequest.id)))


def requests_of_person(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID
) -> list[RightsRequest]:
    return list(
        session.scalars(
            select(RightsRequest)
            .where(RightsRequest.board_id == board_id, RightsRequest.person_id == person_id)
            .order_by(RightsRequest.received_at, RightsRequest.id)
        )
    )


def due_requests(session: Session, board_id: uuid.UUID, before: datetime) -> list[RightsRequest]:
    """Open requests of the board whose deadline falls before ``before``, not yet reminded."""
    return list(
        session.scalars(
            select(RightsRequest)
            .where(
                RightsRequest.board_id == board_id,
                RightsRequest.state.in_(OPEN_STATES),
                RightsRequest.deadline <= before,
                RightsRequest.reminded_at.is_(None),
            )
            .order_by(RightsRequest.deadline, RightsRequest.id)
        )
    )


def events(session: Session, request_id: uuid.UUID) -> list[RightsRequestEvent]:
    return list(
        session.scalars(
            select(RightsRequestEvent)
            .where(RightsRequestEvent.request_id == request_id)
            .order_by(RightsRequestEvent.seq)
        )
    )


def last_seq(session: Session, request_id: uuid.UUID) -> int:
    found = session.scalar(
        select(func.max(RightsRequestEvent.seq)).where(RightsRequestEvent.request_id == request_id)
    )
    return int(found or 0)


def used_link(session: Session, jti: str) -> UsedRightsLink | None:
    return session.get(UsedRightsLink, jti)


def provider_ids_of_board(session: Session, board_id: uuid.UUID) -> list[uuid.UUID]:
    """Every provider with a connection (in any state) to one of the board's schools."""
    return list(
        session.scalars(
            select(Connection.provider_id)
            .where(Connection.board_id == board_id)
            .distinct()
            .order_by(Connection.provider_id)
        )
    )


def provider_in_board(session: Session, board_id: uuid.UUID, provider_id: uuid.UUID) -> bool:
    return provider_id in provider_ids_of_board(session, board_id)


def provider_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


def connection_facts(
    session: Session, board_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str, str]]:
    """Per connection of the board: (app name, school name, purpose code)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Connection.id, App.name, School.name, DatasetVersion.purpose_code)
        .join(App, App.id == Connection.app_id)
        .join(School, School.id == Connection.school_id)
        .join(DatasetVersion, DatasetVersion.id == Connection.dataset_version_id)
        .where(Connection.board_id == board_id, Connection.id.in_(wanted))
    )
    return {connection_id: (app, school, purpose) for connection_id, app, school, purpose in rows}


def student_groups(
    session: Session, board_id: uuid.UUID, student_id: uuid.UUID
) -> list[tuple[StudentMembership, Group, str | None]]:
    rows = session.execute(
        select(StudentMembership, Group, SchoolYear.name)
        .join(Group, Group.id == StudentMembership.group_id)
        .outerjoin(SchoolYear, SchoolYear.id == Group.school_year_id)
        .where(StudentMembership.board_id == board_id, StudentMembership.student_id == student_id)
        .order_by(Group.source_key, Group.id)
    )
    return [(m, g, year) for m, g, year in rows]


def staff_groups(
    session: Session, board_id: uuid.UUID, staff_id: uuid.UUID
) -> list[tuple[StaffMembership, Group, str | None]]:
    rows = session.execute(
        select(StaffMembership, Group, SchoolYear.name)
        .join(Group, Group.id == StaffMembership.group_id)
        .outerjoin(SchoolYear, SchoolYear.id == Group.school_year_id)
        .where(StaffMembership.board_id == board_id, StaffMembership.staff_id == staff_id)
        .order_by(Group.source_key, Group.id)
    )
    return [(m, g, year) for m, g, year in rows]


def objections(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.board_id == board_id, Objection.person_id == person_id)
            .order_by(Objection.recorded_at, Objection.id)
        )
    )


def consents(session: Session, board_id: uuid.UUID, student_id: uuid.UUID) -> list[ParentalConsent]:
    return list(
        session.scalars(
            select(ParentalConsent)
            .where(ParentalConsent.board_id == board_id, ParentalConsent.student_id == student_id)
            .order_by(ParentalConsent.decided_at, ParentalConsent.id)
        )
    )


def results(session: Session, board_id: uuid.UUID, student_id: uuid.UUID) -> list[ResultScore]:
    return list(
        session.scalars(
            select(ResultScore)
            .where(ResultScore.board_id == board_id, ResultScore.student_id == student_id)
            .order_by(ResultScore.taken_on, ResultScore.test_code, ResultScore.id)
        )
    )


def person_kind_of(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID
) -> PersonKindColumn | None:
    if student(session, board_id, person_id) is not None:
        return PersonKindColumn.STUDENT
    if staff(session, board_id, person_id) is not None:
        return PersonKindColumn.STAFF
    return None
