"""Policies and their versions: draft → active → archived, one active at a time, per board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.connections.errors import ConnectionNotFound
from koppelvlak.policies import service
from koppelvlak.policies.errors import (
    InvalidPolicy,
    PolicyNotFound,
    VersionNotFound,
    VersionStateConflict,
)
from koppelvlak.policies.models import Audience, PolicyVersion
from tests.factories.policies import published
from tests.factories.providers import T0, board_with_school, connected, spec

LATER = T0 + timedelta(days=30)
CONSENT = spec({"student.given_name": True}, purpose="homework_support")


def _versions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PolicyVersion)) or 0)


class TestCreatingAPolicy:
    def test_its_first_version_is_a_draft_that_nobody_has_to_accept_yet(
        self, session: Session
    ) -> None:
        board, _ = board_with_school(session)
        policy = service.create_policy(
            session,
            board.id,
            code="privacy",
            name="Privacyverklaring",
            audience=Audience.GUARDIANS,
            required=True,
            text_nl="Tekst",
            text_en="Text",
            actor="dpo:test",
            at=T0,
        )
        assert policy.active_version is None
        assert [(v.number, v.state, v.minor_change) for v in policy.versions] == [
            (1, "draft", False)
        ]
        assert (policy.code, policy.audience, policy.required) == ("privacy", "guardians", True)

    def test_a_second_policy_with_the_same_code_in_the_board_is_refused(
        self, session: Session
    ) -> None:
        board, _ = board_with_school(session)
        published(session, board.id, code="terms")
        with pytest.raises(VersionStateConflict, match="policy 'terms' exists already"):
            published(session, board.id, code="terms")

    def test_another_board_may_use_the_same_code(self, session: Session) -> None:
        first, _ = board_with_school(session)
        second, _ = board_with_school(session)
        published(session, first.id, code="terms")
        assert published(session, second.id, code="terms").code == "terms"

    @pytest.mark.parametrize(
        ("code", "text_nl", "message"),
        [
            ("Privacy!", "Tekst", "policy code 'Privacy!' must start with a letter"),
            ("privacy", "  ", "the Dutch text of the policy is empty"),
        ],
    )
    def test_a_bad_code_or_an_empty_text_is_refused_and_nothing_is_stored(
        self, session: Session, code: str, text_nl: str, message: str
    ) -> None:
        board, _ = board_with_school(session)
        before = _versions(session)
        with pytest.raises(InvalidPolicy, match=message), session.begin_nested():
            service.create_policy(
                session,
                board.id,
                code=code,
                name="P",
                audience=Audience.STAFF,
                required=True,
                text_nl=text_nl,
                text_en="Text",
                actor="dpo:test",
                at=T0,
            )
        assert _versions(session) == before


class TestPublishing:
    def test_publishing_a_new_version_archives_the_one_that_was_active(
        self, session: Session
    ) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id)
        service.draft_version(
            session,
            board.id,
            policy.policy_id,
            text_nl="Nieuw",
            text_en="New",
            minor_change=False,
            actor="dpo:test",
            at=LATER,
        )
        after = service.publish(session, board.id, policy.policy_id, 2, actor="dpo:b", at=LATER)
        assert after.active_version == 2
        states = [(v.number, v.state) for v in after.versions]
        assert states == [(1, "archived"), (2, "active")]
        assert (after.versions[0].archived_by, after.versions[1].published_by) == ("dpo:b",) * 2

    def test_publishing_the_active_version_again_is_a_conflict(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id, code="privacy")
        with pytest.raises(VersionStateConflict, match="version 1 of policy 'privacy' is already"):
            service.publish(session, board.id, policy.policy_id, 1, actor="dpo:test", at=LATER)

    def test_an_archived_version_cannot_come_back(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id, code="privacy")
        service.archive(session, board.id, policy.policy_id, 1, actor="dpo:test", at=LATER)
        with pytest.raises(VersionStateConflict, match="is archived; draft a new version"):
            service.publish(session, board.id, policy.policy_id, 1, actor="dpo:test", at=LATER)

    def test_an_unknown_version_is_not_found(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id, code="privacy")
        with pytest.raises(VersionNotFound, match="policy 'privacy' has no version 7"):
            service.publish(session, board.id, policy.policy_id, 7, actor="dpo:test", at=LATER)

    def test_another_boards_policy_is_not_found(self, session: Session) -> None:
        mine, _ = board_with_school(session)
        theirs, _ = board_with_school(session)
        policy = published(session, theirs.id)
        with pytest.raises(PolicyNotFound):
            service.publish(session, mine.id, policy.policy_id, 1, actor="dpo:test", at=LATER)

    def test_archiving_the_active_version_leaves_no_active_version(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id)
        after = service.archive(session, board.id, policy.policy_id, 1, actor="dpo:t", at=LATER)
        assert after.active_version is None
        with pytest.raises(VersionStateConflict, match="already archived"):
            service.archive(session, board.id, policy.policy_id, 1, actor="dpo:t", at=LATER)


class TestMinorChanges:
    def test_a_later_version_may_be_drafted_as_a_minor_change(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id)
        version = service.draft_version(
            session,
            board.id,
            policy.policy_id,
            text_nl="Typo",
            text_en="Typo",
            minor_change=True,
            actor="dpo:test",
            at=LATER,
        )
        assert (version.number, version.minor_change, version.state) == (2, True, "draft")

    def test_acceptance_base_skips_back_over_minor_versions(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = published(session, board.id)
        for minor in (True, False, True, True):
            service.draft_version(
                session,
                board.id,
                policy.policy_id,
                text_nl="t",
                text_en="t",
                minor_change=minor,
                actor="dpo:test",
                at=LATER,
            )
        rows = list(
            session.scalars(
                select(PolicyVersion)
                .where(PolicyVersion.policy_id == policy.policy_id)
                .order_by(PolicyVersion.number)
            )
        )
        assert [service.acceptance_base(rows, n) for n in range(1, 6)] == [1, 1, 3, 3, 3]


class TestLinkingAConnectionsConsent:
    def test_an_optional_students_policy_may_carry_a_consent_based_connection(
        self, session: Session
    ) -> None:
        setup = connected(session, CONSENT)
        policy = published(session, setup.board.id, connection_id=setup.connection.id)
        assert policy.connection_id == setup.connection.id

    def test_a_required_policy_may_not_carry_consent(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        with pytest.raises(InvalidPolicy, match="a required policy cannot record consent"):
            published(session, setup.board.id, required=True, connection_id=setup.connection.id)

    def test_a_connection_that_is_not_consent_based_is_refused(self, session: Session) -> None:
        setup = connected(session)
        with pytest.raises(InvalidPolicy, match="is not consent-based"):
            published(session, setup.board.id, connection_id=setup.connection.id)

    def test_a_staff_policy_may_not_carry_parental_consent(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        with pytest.raises(InvalidPolicy, match="only a policy for students"):
            published(
                session, setup.board.id, audience=Audience.STAFF, connection_id=setup.connection.id
            )

    def test_another_boards_connection_is_not_found(self, session: Session) -> None:
        theirs = connected(session, CONSENT)
        mine, _ = board_with_school(session)
        with pytest.raises(ConnectionNotFound):
            published(session, mine.id, connection_id=theirs.connection.id)
