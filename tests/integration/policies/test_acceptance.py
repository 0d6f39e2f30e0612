"""Acceptances: per person, by a guardian for a child under 16, withdrawal and who is pending."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.connections import exceptions
from koppelvlak.connections.models import ConsentState, ParentalConsent
from koppelvlak.policies import acceptance, service
from koppelvlak.policies.errors import (
    InvalidAcceptance,
    NothingToWithdraw,
    NotTheirChild,
    PersonNotFound,
    PolicyNotFound,
    RequiredPolicy,
    VersionStateConflict,
)
from koppelvlak.policies.models import Audience, PolicyAcceptance
from koppelvlak.release import kept, kept_repository
from koppelvlak.release import service as release
from koppelvlak.release.engine import Reason
from tests.factories.policies import TEEN_BORN, family, published, staff_member
from tests.factories.providers import T0, board_with_school, connected, spec

KEY = b"policies-integration-key-0123456789"
LATER = T0 + timedelta(days=10)
CONSENT = spec({"student.given_name": True}, purpose="homework_support")


def _rows(session: Session, model: type[PolicyAcceptance] | type[ParentalConsent]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _kept_students(session: Session, connection_id: uuid.UUID) -> int:
    """Students in the connection's kept release (what providers are served from)."""
    counts = kept_repository.active_counts(session, connection_id)
    return sum(n for key, n in counts.items() if key.endswith(" student"))


def _draft(session: Session, board_id: uuid.UUID, policy_id: uuid.UUID, *, minor: bool) -> None:
    service.draft_version(
        session,
        board_id,
        policy_id,
        text_nl="Nieuwe tekst",
        text_en="New text",
        minor_change=minor,
        actor="dpo:test",
        at=LATER,
    )


class TestAcceptingForOneself:
    def test_a_staff_member_accepts_the_active_version(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF, required=True)
        found = acceptance.accept(
            session, board.id, policy.policy_id, staff.id, actor="admin:a", at=T0
        )
        assert (found.version, found.subject_kind, found.counts) == (1, "staff", True)
        assert found.guardian_id is None

    def test_accepting_again_while_covered_changes_nothing(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF)
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="admin:a", at=T0)
        before = _rows(session, PolicyAcceptance)
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="admin:a", at=LATER)
        assert _rows(session, PolicyAcceptance) == before

    def test_a_student_of_16_or_older_accepts_for_themselves(self, session: Session) -> None:
        board, school = board_with_school(session)
        teen = family(session, school, born=TEEN_BORN)
        policy = published(session, board.id)
        found = acceptance.accept(
            session, board.id, policy.policy_id, teen.student.id, actor="admin:a", at=T0
        )
        assert (found.subject_kind, found.guardian_id) == ("student", None)

    def test_a_guardian_accepts_the_guardians_policy_for_themselves(self, session: Session) -> None:
        board, school = board_with_school(session)
        kids = family(session, school)
        policy = published(session, board.id, audience=Audience.GUARDIANS)
        found = acceptance.accept(
            session, board.id, policy.policy_id, kids.guardian.id, actor="admin:a", at=T0
        )
        assert (found.subject_kind, found.subject_id) == ("guardian", kids.guardian.id)
        with pytest.raises(InvalidAcceptance, match="only a policy for students"):
            acceptance.accept(
                session,
                board.id,
                policy.policy_id,
                kids.guardian.id,
                guardian_id=kids.guardian.id,
                actor="admin:a",
                at=T0,
            )

    def test_there_is_nothing_to_accept_before_a_version_is_published(
        self, session: Session
    ) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF, code="werk")
        service.archive(session, board.id, policy.policy_id, 1, actor="dpo:t", at=T0)
        with pytest.raises(VersionStateConflict, match="policy 'werk' has no active version"):
            acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)


class TestAGuardianAcceptsForAChild:
    def test_a_guardian_accepts_for_their_child_under_16(self, session: Session) -> None:
        board, school = board_with_school(session)
        kids = family(session, school)
        policy = published(session, board.id)
        found = acceptance.accept(
            session,
            board.id,
            policy.policy_id,
            kids.student.id,
            guardian_id=kids.guardian.id,
            actor="admin:a",
            at=T0,
        )
        assert (found.subject_id, found.guardian_id) == (kids.student.id, kids.guardian.id)

    def test_a_child_under_16_cannot_accept_alone(self, session: Session) -> None:
        board, school = board_with_school(session)
        kids = family(session, school)
        policy = published(session, board.id)
        with pytest.raises(InvalidAcceptance, match="the student is under 16"):
            acceptance.accept(
                session, board.id, policy.policy_id, kids.student.id, actor="a", at=T0
            )
        assert _rows(session, PolicyAcceptance) == 0

    def test_an_unknown_birth_date_counts_as_under_16(self, session: Session) -> None:
        board, school = board_with_school(session)
        kids = family(session, school, born=None)
        policy = published(session, board.id)
        with pytest.raises(InvalidAcceptance, match="or the birth date is unknown"):
            acceptance.accept(
                session, board.id, policy.policy_id, kids.student.id, actor="a", at=T0
            )

    def test_age_is_taken_on_the_day_of_the_acceptance(self, session: Session) -> None:
        board, school = board_with_school(session)
        kids = family(session, school, born=date(2010, 1, 6))  # 16 on 6 January 2026
        policy = published(session, board.id)
        day_before = datetime(2026, 1, 5, 12, tzinfo=UTC)
        birthday = datetime(2026, 1, 6, 8, tzinfo=UTC)
        with pytest.raises(InvalidAcceptance):
            acceptance.accept(
                session, board.id, policy.policy_id, kids.student.id, actor="a", at=day_before
            )
        found = acceptance.accept(
            session, board.id, policy.policy_id, kids.student.id, actor="a", at=birthday
        )
        assert found.guardian_id is None

    def test_a_guardian_may_not_decide_for_a_student_of_16(self, session: Session) -> None:
        board, school = board_with_school(session)
        teen = family(session, school, born=TEEN_BORN)
        policy = published(session, board.id)
        with pytest.raises(InvalidAcceptance, match="16 or older and decides for themselves"):
            acceptance.accept(
                session,
                board.id,
                policy.policy_id,
                teen.student.id,
                guardian_id=teen.guardian.id,
                actor="a",
                at=T0,
            )

    def test_a_guardian_of_another_child_is_refused(self, session: Session) -> None:
        board, school = board_with_school(session)
        mine, other = family(session, school), family(session, school, name="Bakker")
        policy = published(session, board.id)
        with pytest.raises(NotTheirChild, match="is not a guardian of student"):
            acceptance.accept(
                session,
                board.id,
                policy.policy_id,
                mine.student.id,
                guardian_id=other.guardian.id,
                actor="a",
                at=T0,
            )
        assert _rows(session, PolicyAcceptance) == 0

    def test_another_boards_guardian_is_not_found(self, session: Session) -> None:
        board, school = board_with_school(session)
        _, elsewhere = board_with_school(session)
        mine, theirs = family(session, school), family(session, elsewhere)
        policy = published(session, board.id)
        with pytest.raises(PersonNotFound, match="no guardian with id"):
            acceptance.accept(
                session,
                board.id,
                policy.policy_id,
                mine.student.id,
                guardian_id=theirs.guardian.id,
                actor="a",
                at=T0,
            )


class TestTenantIsolation:
    def test_another_boards_student_is_not_found(self, session: Session) -> None:
        board, _ = board_with_school(session)
        _, elsewhere = board_with_school(session)
        theirs = family(session, elsewhere, born=TEEN_BORN)
        policy = published(session, board.id)
        with pytest.raises(PersonNotFound, match="no student with id"):
            acceptance.accept(
                session, board.id, policy.policy_id, theirs.student.id, actor="a", at=T0
            )

    def test_another_boards_policy_is_not_found(self, session: Session) -> None:
        board, school = board_with_school(session)
        other, _ = board_with_school(session)
        teen = family(session, school, born=TEEN_BORN)
        policy = published(session, other.id)
        with pytest.raises(PolicyNotFound):
            acceptance.accept(
                session, board.id, policy.policy_id, teen.student.id, actor="a", at=T0
            )

    def test_a_person_outside_the_audience_is_not_found(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.GUARDIANS)
        with pytest.raises(PersonNotFound, match="no guardian with id"):
            acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)


class TestNewVersions:
    def test_a_minor_change_asks_no_new_acceptance(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF)
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)
        _draft(session, board.id, policy.policy_id, minor=True)
        service.publish(session, board.id, policy.policy_id, 2, actor="dpo:t", at=LATER)
        assert acceptance.pending(session, board.id, policy.policy_id).people == ()
        (held,) = acceptance.acceptances(session, board.id, policy.policy_id, staff.id)
        assert (held.version, held.counts) == (1, True)

    def test_a_major_change_asks_everyone_again(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF)
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)
        _draft(session, board.id, policy.policy_id, minor=False)
        service.publish(session, board.id, policy.policy_id, 2, actor="dpo:t", at=LATER)
        pending = acceptance.pending(session, board.id, policy.policy_id)
        assert (pending.version, [p.person_id for p in pending.people]) == (2, [staff.id])
        assert acceptance.pending(session, board.id, policy.policy_id, 1).people == ()
        found = acceptance.accept(
            session, board.id, policy.policy_id, staff.id, actor="a", at=LATER
        )
        assert found.version == 2


class TestWhoHasNotYetAccepted:
    def test_lists_the_audience_without_an_acceptance_and_counts_the_rest(
        self, session: Session
    ) -> None:
        board, school = board_with_school(session)
        kids = [family(session, school, name=n) for n in ("Aa", "Bb", "Cc")]
        family(session, board_with_school(session)[1])  # another board's child: never listed
        policy = published(session, board.id)
        acceptance.accept(
            session,
            board.id,
            policy.policy_id,
            kids[0].student.id,
            guardian_id=kids[0].guardian.id,
            actor="a",
            at=T0,
        )
        pending = acceptance.pending(session, board.id, policy.policy_id)
        assert pending.accepted == 1
        assert {p.person_id for p in pending.people} == {k.student.id for k in kids[1:]}
        assert {p.name.split()[-1] for p in pending.people} == {"Bb", "Cc"}

    def test_a_withdrawn_acceptance_is_pending_again(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF)
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)
        acceptance.withdraw(session, board.id, policy.policy_id, staff.id, actor="a", at=LATER)
        pending = acceptance.pending(session, board.id, policy.policy_id)
        assert [p.person_id for p in pending.people] == [staff.id]


class TestWithdrawal:
    def test_a_required_policy_cannot_be_withdrawn_and_nothing_changes(
        self, session: Session
    ) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF, required=True, code="ict")
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)
        with pytest.raises(RequiredPolicy, match="policy 'ict' is required and cannot be"):
            acceptance.withdraw(session, board.id, policy.policy_id, staff.id, actor="a", at=LATER)
        (held,) = acceptance.acceptances(session, board.id, policy.policy_id, staff.id)
        assert (held.withdrawn_at, held.counts) == (None, True)

    def test_withdrawing_without_an_acceptance_is_a_conflict(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF)
        with pytest.raises(NothingToWithdraw):
            acceptance.withdraw(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)

    def test_withdrawal_keeps_the_acceptance_as_history(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = published(session, board.id, audience=Audience.STAFF)
        acceptance.accept(session, board.id, policy.policy_id, staff.id, actor="a", at=T0)
        acceptance.withdraw(session, board.id, policy.policy_id, staff.id, actor="b", at=LATER)
        (held,) = acceptance.acceptances(session, board.id, policy.policy_id, staff.id)
        assert (held.withdrawn_at, held.counts) == (LATER, False)


class TestALinkedConsentBasedConnection:
    def test_the_guardians_acceptance_is_parental_consent_and_releases_the_child(
        self, session: Session
    ) -> None:
        setup = connected(session, CONSENT)
        kids = family(session, setup.school)
        policy = published(session, setup.board.id, connection_id=setup.connection.id)
        assert release.explain(session, setup.connection.id, kids.student.id, T0).reason is (
            Reason.NO_PARENTAL_CONSENT
        )
        found = acceptance.accept(
            session,
            setup.board.id,
            policy.policy_id,
            kids.student.id,
            guardian_id=kids.guardian.id,
            actor="admin:a",
            at=T0,
        )
        assert found.consent_recorded
        consent = exceptions.current_consent(
            session, setup.board.id, setup.provider.id, kids.student.id
        )
        assert consent is not None
        assert (consent.state, consent.decided_by) == ("given", f"guardian:{kids.guardian.id}")
        kept.settle(session, KEY)
        assert _kept_students(session, setup.connection.id) == 1

    def test_withdrawing_the_policy_withdraws_the_consent_and_the_release_follows(
        self, session: Session
    ) -> None:
        setup = connected(session, CONSENT)
        kids = family(session, setup.school)
        policy = published(session, setup.board.id, connection_id=setup.connection.id)
        for act, at in ((acceptance.accept, T0), (acceptance.withdraw, LATER)):
            act(
                session,
                setup.board.id,
                policy.policy_id,
                kids.student.id,
                guardian_id=kids.guardian.id,
                actor="admin:a",
                at=at,
            )
            kept.settle(session, KEY)
        consent = exceptions.current_consent(
            session, setup.board.id, setup.provider.id, kids.student.id
        )
        assert consent is not None
        assert consent.state == "withdrawn"
        kept.settle(session, KEY)
        assert _kept_students(session, setup.connection.id) == 0
        assert kept.check(session, LATER, KEY, setup.board.id) == []
        explanation = release.explain(session, setup.connection.id, kids.student.id, LATER)
        assert explanation.reason is Reason.NO_PARENTAL_CONSENT

    def test_a_later_decision_made_elsewhere_stands(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        kids = family(session, setup.school)
        policy = published(session, setup.board.id, connection_id=setup.connection.id)
        acceptance.accept(
            session,
            setup.board.id,
            policy.policy_id,
            kids.student.id,
            guardian_id=kids.guardian.id,
            actor="admin:a",
            at=T0,
        )
        exceptions.record_consent(
            session,
            setup.board.id,
            setup.provider.id,
            kids.student.id,
            ConsentState.GIVEN,
            decided_by="guardian:paper-form",
            at=T0 + timedelta(days=1),
        )
        acceptance.withdraw(
            session,
            setup.board.id,
            policy.policy_id,
            kids.student.id,
            guardian_id=kids.guardian.id,
            actor="admin:a",
            at=LATER,
        )
        consent = exceptions.current_consent(
            session, setup.board.id, setup.provider.id, kids.student.id
        )
        assert consent is not None
        assert (consent.state, consent.decided_by) == ("given", "guardian:paper-form")

    def test_a_student_of_16_accepting_records_no_parental_consent(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        teen = family(session, setup.school, born=TEEN_BORN)
        policy = published(session, setup.board.id, connection_id=setup.connection.id)
        found = acceptance.accept(
            session, setup.board.id, policy.policy_id, teen.student.id, actor="a", at=T0
        )
        assert not found.consent_recorded
        assert _rows(session, ParentalConsent) == 0
