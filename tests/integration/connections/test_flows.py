"""A provider's new dataset version: narrowing at once, widening only after the school approves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections import flows
from koppelvlak.connections import service as connections
from koppelvlak.connections.errors import DpoSignOffRequired, InvalidTransition
from koppelvlak.release import service as release
from tests.factories.providers import T0, connected, spec
from tests.factories.roster import StudentFactory

KEY = b"f" * 32
WIDER = spec({"student.given_name": True, "student.year_group": False, "student.family_name": True})
NARROWER = spec({"student.given_name": True})


class TestWidening:
    def test_it_changes_nothing_for_the_school_until_it_approves(self, session: Session) -> None:
        setup = connected(session)
        session.add(StudentFactory(board_id=setup.board.id, school_id=setup.school.id))
        session.flush()
        later = T0 + timedelta(days=1)
        _, outcomes = flows.propose_dataset_version(
            session, setup.app_id, WIDER, actor="provider:x", at=later
        )
        assert [o.outcome for o in outcomes] == ["pending"]
        before = release.resolve(session, setup.connection.id, later, KEY)
        assert before.attribute_ids == frozenset({"student.given_name", "student.year_group"})
        assert "student.family_name" not in before.people[0].attributes

        diff = flows.approve_version(
            session, setup.board.id, setup.connection.id, actor="admin:ann", at=later
        )
        assert diff.added == ("student.family_name",)
        after = release.resolve(session, setup.connection.id, later, KEY)
        assert "student.family_name" in after.people[0].attributes

    def test_the_approval_history_shows_who_when_and_what_changed(self, session: Session) -> None:
        setup = connected(session)
        later = T0 + timedelta(days=1)
        flows.propose_dataset_version(session, setup.app_id, WIDER, actor="provider:x", at=later)
        flows.approve_version(
            session, setup.board.id, setup.connection.id, actor="admin:ann", at=later
        )
        events = connections.history(session, setup.board.id, setup.connection.id)
        approval = events[-1]
        assert (approval.actor, approval.action, approval.at) == (
            "admin:ann",
            "approve_version",
            later,
        )
        assert approval.detail["added"] == ["student.family_name"]
        assert (approval.detail["from_version"], approval.detail["to_version"]) == (1, 2)
        assert events[-2].action == "version_pending"

    def test_a_sensitive_widening_needs_the_dpo_first(self, session: Session) -> None:
        setup = connected(session)
        flows.propose_dataset_version(
            session,
            setup.app_id,
            spec({"student.given_name": True, "student.birth_date": True}),
            actor="p",
            at=T0,
        )
        with pytest.raises(DpoSignOffRequired) as raised:
            flows.approve_version(session, setup.board.id, setup.connection.id, actor="a", at=T0)
        assert (
            str(raised.value)
            == "dataset version 2 has sensitive attributes: the DPO must sign off first"
        )
        flows.sign_off_version(session, setup.board.id, setup.connection.id, actor="dpo:d", at=T0)
        flows.approve_version(session, setup.board.id, setup.connection.id, actor="a", at=T0)

    def test_refusing_keeps_the_approved_version(self, session: Session) -> None:
        setup = connected(session)
        flows.propose_dataset_version(session, setup.app_id, WIDER, actor="p", at=T0)
        flows.refuse_version(
            session, setup.board.id, setup.connection.id, actor="a", at=T0, reason="too much"
        )
        view = connections.view(session, setup.connection, T0)
        assert (view.dataset_version, view.pending_version) == (1, None)
        with pytest.raises(InvalidTransition) as raised:
            flows.approve_version(session, setup.board.id, setup.connection.id, actor="a", at=T0)
        assert str(raised.value) == "the connection has no pending dataset version"


class TestNarrowing:
    def test_it_applies_at_once(self, session: Session) -> None:
        setup = connected(session)
        _, outcomes = flows.propose_dataset_version(
            session, setup.app_id, NARROWER, actor="p", at=T0
        )
        assert [o.outcome for o in outcomes] == ["applied"]
        result = release.resolve(session, setup.connection.id, T0, KEY)
        assert result.attribute_ids == frozenset({"student.given_name"})
