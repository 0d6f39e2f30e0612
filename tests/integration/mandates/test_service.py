"""Mandates on a real database: grant, revoke, the check before an exchange, and its refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.mandates import final_test
from koppelvlak.mandates import service as mandates
from koppelvlak.mandates.errors import (
    InvalidIdentifier,
    InvalidMandate,
    MandateAlreadyRevoked,
    MandateMissing,
    MandateNotFound,
    UnknownService,
)
from koppelvlak.mandates.models import Mandate, MandateRefusal
from koppelvlak.roster.models import Board, School
from tests.factories.providers import T0, board_with_school, connected

EINDTOETS = "Logistiek Proces Eindtoets PO"
OIN = "00000001234567890000"
KVK = "12345678"


def _grant(
    session: Session,
    board: Board,
    school: School,
    *,
    party: str = OIN,
    valid_from: date = date(2025, 12, 1),
    valid_until: date | None = date(2026, 7, 31),
    service: str = EINDTOETS,
) -> mandates.MandateView:
    return mandates.grant(
        session,
        board.id,
        school=school.brin,
        service=service,
        party=party,
        valid_from=valid_from,
        valid_until=valid_until,
        actor="admin:jan",
        at=T0,
    )


def _count(session: Session, table: type[Mandate] | type[MandateRefusal]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


class TestTheRegister:
    def test_holds_the_three_seeded_services(self, session: Session) -> None:
        names = {s.name for s in mandates.services(session)}
        assert {EINDTOETS, "BRON PO", "Verzuim"} <= names

    def test_an_admin_adds_a_service_once(self, session: Session) -> None:
        mandates.add_service(session, "Schoolkeuze  VO", description=None, actor="op", at=T0)
        assert "Schoolkeuze VO" in {s.name for s in mandates.services(session)}
        with pytest.raises(InvalidMandate, match="already in the register"):
            mandates.add_service(session, "Schoolkeuze VO", description=None, actor="op", at=T0)


class TestGranting:
    def test_a_mandate_records_its_terms_and_who_decided(self, session: Session) -> None:
        board, school = board_with_school(session)
        view = _grant(session, board, school)
        assert (view.school, view.service, view.party_kind, view.party) == (
            f"{school.brin}00",
            EINDTOETS,
            "oin",
            OIN,
        )
        assert (view.decided_by, view.decided_at, view.status) == ("admin:jan", T0, "valid")

    def test_a_kvk_number_is_a_party_too(self, session: Session) -> None:
        board, school = board_with_school(session)
        assert _grant(session, board, school, party=KVK).party_kind == "kvk"

    @pytest.mark.parametrize(
        "party", ["1234567", "123456789", "0000000123456789000X", "", "12 345 678"]
    )
    def test_a_malformed_party_is_refused_and_nothing_is_stored(
        self, session: Session, party: str
    ) -> None:
        board, school = board_with_school(session)
        before = _count(session, Mandate)
        with pytest.raises(InvalidIdentifier) as refused:
            _grant(session, board, school, party=party)
        assert refused.value.detail == (
            f"party must be an OIN (20 digits) or a KvK number (8 digits), not {party!r}"
        )
        assert _count(session, Mandate) == before

    def test_a_malformed_school_is_refused(self, session: Session) -> None:
        board, _school = board_with_school(session)
        with pytest.raises(InvalidIdentifier, match="school must be a BRIN code"):
            mandates.grant(
                session,
                board.id,
                school="9XX",
                service=EINDTOETS,
                party=OIN,
                valid_from=date(2026, 1, 1),
                valid_until=None,
                actor="a",
                at=T0,
            )

    def test_an_unknown_service_is_refused_with_the_known_ones(self, session: Session) -> None:
        board, school = board_with_school(session)
        with pytest.raises(UnknownService) as refused:
            _grant(session, board, school, service="Eindtoets")
        assert refused.value.detail.startswith("unknown service 'Eindtoets'; the register holds: ")
        assert EINDTOETS in refused.value.detail

    def test_a_period_that_ends_before_it_starts_is_refused(self, session: Session) -> None:
        board, school = board_with_school(session)
        with pytest.raises(InvalidMandate) as refused:
            _grant(
                session, board, school, valid_from=date(2026, 2, 1), valid_until=date(2026, 1, 1)
            )
        assert refused.value.detail == "valid until 2026-01-01 is before valid from 2026-02-01"

    def test_an_overlapping_mandate_is_refused(self, session: Session) -> None:
        board, school = board_with_school(session)
        first = _grant(session, board, school)
        with pytest.raises(InvalidMandate) as refused:
            _grant(session, board, school, valid_from=date(2026, 7, 1), valid_until=None)
        assert refused.value.detail == (
            f"mandate {first.mandate_id} already covers part of this period; revoke it first"
        )

    def test_another_boards_school_is_not_found(self, session: Session) -> None:
        board, _ = board_with_school(session)
        _other_board, other_school = board_with_school(session)
        with pytest.raises(MandateNotFound) as refused:
            _grant(session, board, other_school)
        assert refused.value.detail == f"no school {other_school.brin}00 in this board"


class TestRevoking:
    def test_a_revoked_mandate_keeps_its_record_and_no_longer_counts(
        self, session: Session
    ) -> None:
        board, school = board_with_school(session)
        view = _grant(session, board, school)
        later = T0 + timedelta(days=2)
        revoked = mandates.revoke(
            session, board.id, view.mandate_id, reason="other LAS", actor="admin:piet", at=later
        )
        assert (revoked.status, revoked.revoked_by, revoked.revocation_reason) == (
            "revoked",
            "admin:piet",
            "other LAS",
        )
        with pytest.raises(MandateMissing):
            mandates.require_mandate(
                session, school_id=school.id, service=EINDTOETS, party=OIN, at=later
            )
        # Before the revocation the mandate was valid: the record says so.
        assert (
            mandates.require_mandate(
                session,
                school_id=school.id,
                service=EINDTOETS,
                party=OIN,
                at=T0 + timedelta(days=1),
            ).id
            == view.mandate_id
        )

    def test_twice_is_refused(self, session: Session) -> None:
        board, school = board_with_school(session)
        view = _grant(session, board, school)
        mandates.revoke(session, board.id, view.mandate_id, reason="x", actor="a", at=T0)
        with pytest.raises(MandateAlreadyRevoked):
            mandates.revoke(session, board.id, view.mandate_id, reason="x", actor="a", at=T0)

    def test_another_boards_mandate_is_not_found_and_stays_valid(self, session: Session) -> None:
        board, school = board_with_school(session)
        view = _grant(session, board, school)
        other, _ = board_with_school(session)
        with pytest.raises(MandateNotFound):
            mandates.revoke(session, other.id, view.mandate_id, reason="x", actor="a", at=T0)
        assert mandates.mandates(session, board.id, T0)[0].status == "valid"


class TestRequireMandate:
    def test_answers_the_valid_mandate(self, session: Session) -> None:
        board, school = board_with_school(session)
        view = _grant(session, board, school)
        found = mandates.require_mandate(
            session, school_id=school.id, service=EINDTOETS, party=OIN, at=T0
        )
        assert found.id == view.mandate_id

    @pytest.mark.parametrize(
        ("service", "party", "at", "reason"),
        [
            (
                EINDTOETS,
                KVK,
                T0,
                "no valid mandate for 'Logistiek Proces Eindtoets PO' and party 12345678",
            ),
            ("BRON PO", OIN, T0, "no valid mandate for 'BRON PO' and party 00000001234567890000"),
            (EINDTOETS, OIN, T0.replace(year=2026, month=8, day=1), "no valid mandate for"),
            (EINDTOETS, OIN, T0.replace(year=2025, month=11, day=30), "no valid mandate for"),
            ("Nope", OIN, T0, "the service 'Nope' is not in the register"),
        ],
        ids=["other party", "other service", "expired", "not yet valid", "unknown service"],
    )
    def test_refuses_and_records_the_refusal_for_the_school(
        self, session: Session, service: str, party: str, at: object, reason: str
    ) -> None:
        board, school = board_with_school(session)
        _grant(session, board, school)
        with pytest.raises(MandateMissing) as refused:
            mandates.require_mandate(
                session,
                school_id=school.id,
                service=service,
                party=party,
                at=at,  # type: ignore[arg-type]
            )
        assert refused.value.status == 403
        assert refused.value.detail.endswith(": nothing is sent")
        (recorded,) = mandates.refusals(session, board.id)
        assert reason in recorded.reason
        assert (recorded.school, recorded.service, recorded.party) == (
            f"{school.brin}00",
            service,
            party,
        )

    def test_the_last_valid_day_still_counts(self, session: Session) -> None:
        board, school = board_with_school(session)
        _grant(session, board, school)
        last_day = T0.replace(year=2026, month=7, day=31, hour=23)
        mandates.require_mandate(
            session, school_id=school.id, service=EINDTOETS, party=OIN, at=last_day
        )
        assert mandates.refusals(session, board.id) == []


class TestTheBoardsView:
    def test_lists_only_its_own_mandates_with_their_status(self, session: Session) -> None:
        board, school = board_with_school(session)
        _grant(session, board, school)
        _grant(session, board, school, service="Verzuim", valid_from=date(2026, 6, 1))
        other, other_school = board_with_school(session)
        _grant(session, other, other_school)
        found = mandates.mandates(session, board.id, T0)
        assert [(m.service, m.status) for m in found] == [
            (EINDTOETS, "valid"),
            ("Verzuim", "not_yet_valid"),
        ]


class TestCheckConnection:
    def test_a_connection_without_a_service_needs_no_mandate(self, session: Session) -> None:
        setup = connected(session)
        assert mandates.check_connection(
            session, connection_id=setup.connection.id, school_id=setup.school.id, at=T0
        )
        assert mandates.refusals(session, setup.board.id) == []

    def test_a_final_test_connection_needs_the_mandate_of_its_party(self, session: Session) -> None:
        setup = connected(session)
        board, school, connection_id = setup.board, setup.school, setup.connection.id
        final_test.set_rule(
            session, board.id, connection_id, reference_date=date(2026, 1, 15), actor="a", at=T0
        )
        assert not mandates.check_connection(
            session, connection_id=connection_id, school_id=school.id, at=T0
        )
        (refusal,) = mandates.refusals(session, board.id)
        assert (refusal.party, refusal.connection_id) == (setup.provider.kvk_number, connection_id)
        _grant(session, board, school, party=setup.provider.kvk_number)
        assert mandates.check_connection(
            session, connection_id=connection_id, school_id=school.id, at=T0
        )
