"""The connection lifecycle: request, approve (with DPO sign-off), refuse, suspend, revoke."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.connections.errors import (
    ConnectionNotFound,
    InvalidTransition,
    ProviderNotAccredited,
)
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState
from tests.factories.providers import (
    T0,
    ApplicationFactory,
    board_with_school,
    connected,
    spec,
)

SENSITIVE = spec({"student.given_name": True, "student.birth_date": True})


class TestApproval:
    def test_approving_a_normal_dataset_activates_the_connection(self, session: Session) -> None:
        setup = connected(session)
        assert setup.connection.state == "active"
        assert [
            e.action for e in connections.history(session, setup.board.id, setup.connection.id)
        ] == [
            "request",
            "approve",
        ]

    def test_a_sensitive_dataset_waits_for_the_dpo_after_the_admin_approves(
        self, session: Session
    ) -> None:
        setup = connected(session, SENSITIVE, activate=False)
        board, connection = setup.board.id, setup.connection.id
        connections.approve(session, board, connection, actor="admin:ann", at=T0)
        assert setup.connection.state == "approved"
        connections.sign_off(session, board, connection, actor="dpo:dirk", at=T0)
        assert setup.connection.state == "active"
        events = connections.history(session, board, connection)
        assert [(e.actor, e.action, e.to_state) for e in events] == [
            ("admin:test", "request", "requested"),
            ("admin:ann", "approve", "approved"),
            ("dpo:dirk", "dpo_sign_off", "active"),
        ]

    def test_approving_a_connection_of_another_board_is_not_found_and_changes_nothing(
        self, session: Session
    ) -> None:
        setup = connected(session, activate=False)
        other_board, _ = board_with_school(session)
        with pytest.raises(ConnectionNotFound) as raised:
            connections.approve(session, other_board.id, setup.connection.id, actor="x", at=T0)
        assert str(raised.value) == f"no connection with id {setup.connection.id} in this board"
        assert setup.connection.state == "requested"

    def test_a_provider_that_is_not_accredited_cannot_be_connected(self, session: Session) -> None:
        board, school = board_with_school(session)
        provider = providers.apply(session, ApplicationFactory(name="Nieuw B.V."), T0)
        app = providers.add_app(session, provider.id, "Lezen")
        providers.add_dataset_version(session, app.id, spec(), actor="p", at=T0)
        with pytest.raises(ProviderNotAccredited) as raised:
            connections.request(
                session, board_id=board.id, school_id=school.id, app_id=app.id, actor="a", at=T0
            )
        assert str(raised.value) == "provider Nieuw B.V. is not accredited (applied)"

    def test_refusal_needs_a_reason(self, session: Session) -> None:
        setup = connected(session, activate=False)
        with pytest.raises(InvalidTransition) as raised:
            connections.refuse(
                session, setup.board.id, setup.connection.id, actor="a", at=T0, reason=" "
            )
        assert str(raised.value) == "a reason is required to refuse a connection"


class TestLifecycle:
    def test_a_revoked_connection_cannot_be_resumed(self, session: Session) -> None:
        setup = connected(session)
        connections.revoke(
            session, setup.board.id, setup.connection.id, actor="a", at=T0, reason="contract ended"
        )
        with pytest.raises(InvalidTransition) as raised:
            connections.resume(session, setup.board.id, setup.connection.id, actor="a", at=T0)
        assert str(raised.value) == "only a suspended connection can be resumed, not a revoked one"

    def test_an_end_date_expires_the_connection_for_the_provider(self, session: Session) -> None:
        setup = connected(session)
        connections.set_end(
            session, setup.board.id, setup.connection.id, T0 + timedelta(days=1), actor="a", at=T0
        )
        views = connections.connections_for_provider(session, setup.provider.id, T0)
        assert [v.state for v in views] == ["active"]
        later = connections.connections_for_provider(
            session, setup.provider.id, T0 + timedelta(days=2)
        )
        assert [v.state for v in later] == ["expired"]


class TestConnectionsForProvider:
    def test_it_lists_every_connection_with_school_dataset_and_switched_off_attributes(
        self, session: Session
    ) -> None:
        setup = connected(session)
        connected(session, activate=False, provider=setup.provider)
        views = connections.connections_for_provider(session, setup.provider.id, T0)
        assert sorted(v.state for v in views) == ["active", "requested"]
        view = next(v for v in views if v.connection_id == setup.connection.id)
        assert view.school.brin == setup.school.brin
        assert view.attribute_ids == frozenset({"student.given_name", "student.year_group"})
        assert view.entity_types == frozenset({"students"})
        assert (view.purpose, view.lawful_basis, view.delivery_mode) == (
            "learning_materials",
            "public_task",
            "pull",
        )
        assert view.uwlr_profile is None
        assert view.dataset_version == 1

    def test_another_provider_sees_none_of_them(self, session: Session) -> None:
        setup = connected(session)
        other = providers.apply(session, ApplicationFactory(), T0)
        assert connections.connections_for_provider(session, other.id, T0) == []
        assert setup.provider.accreditation_state is AccreditationState.ACCREDITED
