"""Approval refuses a UWLR connection whose dataset cannot fill what the schema requires."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.connections.models import Connection, UwlrProfile
from koppelvlak.connections.uwlr_requirements import UwlrNotDeliverable
from koppelvlak.providers import service as providers
from koppelvlak.roster.models import Board
from tests.factories.providers import T0, accredited_provider, board_with_school, spec


def _requested(
    session: Session, attributes: dict[str, bool], profile: UwlrProfile
) -> tuple[Board, Connection]:
    board, school = board_with_school(session)
    provider = accredited_provider(session, T0)
    app = providers.add_app(session, provider.id, "Rekenapp")
    providers.add_dataset_version(session, app.id, spec(attributes), actor="provider", at=T0)
    connection = connections.request(
        session,
        board_id=board.id,
        school_id=school.id,
        app_id=app.id,
        actor="admin:test",
        at=T0,
        uwlr_profile=profile,
    )
    return board, connection


class TestApprovalForUwlr:
    def test_a_dataset_without_a_name_cannot_be_approved_and_the_admin_is_told_why(
        self, session: Session
    ) -> None:
        board, connection = _requested(
            session, {"student.year_group": True}, UwlrProfile.SMALLE_SET
        )
        with pytest.raises(UwlrNotDeliverable) as caught:
            connections.approve(session, board.id, connection.id, actor="admin:test", at=T0)
        assert caught.value.detail == (
            "this dataset cannot be delivered over UWLR: leerling/achternaam|roepnaam: UWLR "
            "requires a name for every student; the dataset releases neither "
            "student.family_name nor student.given_name"
        )
        assert connection.state == "requested"

    def test_a_named_smalle_set_dataset_is_approved(self, session: Session) -> None:
        board, connection = _requested(
            session,
            {"student.given_name": True, "student.year_group": True},
            UwlrProfile.SMALLE_SET,
        )
        approved = connections.approve(session, board.id, connection.id, actor="admin:test", at=T0)
        assert approved.state == "active"
