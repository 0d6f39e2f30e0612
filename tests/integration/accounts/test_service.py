"""Web accounts: created with a hashed password, logged in, locked out, logged out, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.accounts import service as accounts
from koppelvlak.accounts.errors import AccountExists, InvalidAccount
from koppelvlak.accounts.models import Account
from koppelvlak.accounts.service import LOCK_MINUTES, MAX_FAILURES, Principal, Refusal
from koppelvlak.connections.errors import NotPermitted
from koppelvlak.connections.models import AdminRole
from koppelvlak.roster.models import Board
from tests.factories.providers import T0, board_with_school

PASSWORD = "correct horse battery"


def _board(session: Session) -> Board:
    return board_with_school(session)[0]


def _account(session: Session, board: Board, role: AdminRole = AdminRole.ADMIN) -> str:
    accounts.create_account(session, board.id, "Beheer@School.nl ", role, at=T0, password=PASSWORD)
    return "beheer@school.nl"


class TestCreate:
    def test_a_generated_password_is_returned_once_and_only_its_hash_is_stored(
        self, session: Session
    ) -> None:
        board = _board(session)
        issued = accounts.create_account(session, board.id, "fg@school.nl", AdminRole.DPO, at=T0)
        stored = session.scalars(select(Account).where(Account.id == issued.account_id)).one()
        assert len(issued.password) >= 16
        assert issued.password not in stored.password_hash
        assert stored.password_hash.startswith("$argon2")
        assert "<hidden>" in repr(issued)

    def test_the_same_email_twice_on_one_board_is_refused(self, session: Session) -> None:
        board = _board(session)
        _account(session, board)
        with pytest.raises(AccountExists, match=r"an account for beheer@school\.nl exists already"):
            accounts.create_account(session, board.id, "beheer@school.nl", AdminRole.VIEWER, at=T0)

    @pytest.mark.parametrize("email", ["no-at-sign", "a@b", "two words@school.nl", ""])
    def test_an_address_that_is_no_email_is_refused(self, session: Session, email: str) -> None:
        with pytest.raises(InvalidAccount, match="is not an e-mail address"):
            accounts.create_account(session, _board(session).id, email, AdminRole.ADMIN, at=T0)

    def test_a_short_password_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidAccount, match="a password needs at least 12 characters"):
            accounts.create_account(
                session, _board(session).id, "a@school.nl", AdminRole.ADMIN, at=T0, password="short"
            )


class TestLogIn:
    def test_the_right_password_gives_the_accounts_board_and_role(self, session: Session) -> None:
        board = _board(session)
        email = _account(session, board, AdminRole.VIEWER)
        found = accounts.log_in(session, board.code.lower(), email.upper(), PASSWORD, T0)
        assert isinstance(found, Principal)
        assert (found.board_id, found.role, found.actor) == (
            board.id,
            AdminRole.VIEWER,
            "viewer:beheer@school.nl",
        )

    @pytest.mark.parametrize(
        ("board_code", "email"), [("NOPE", "beheer@school.nl"), (None, "other@school.nl")]
    )
    def test_an_unknown_board_or_email_gets_the_same_answer_as_a_wrong_password(
        self, session: Session, board_code: str | None, email: str
    ) -> None:
        board = _board(session)
        _account(session, board)
        code = board_code or board.code
        assert accounts.log_in(session, code, email, PASSWORD, T0) is Refusal.WRONG
        assert (
            accounts.log_in(session, board.code, "beheer@school.nl", "wrong", T0) is Refusal.WRONG
        )

    def test_after_five_wrong_passwords_even_the_right_one_is_refused_for_15_minutes(
        self, session: Session
    ) -> None:
        board = _board(session)
        email = _account(session, board)
        outcomes = [
            accounts.log_in(session, board.code, email, "wrong", T0) for _ in range(MAX_FAILURES)
        ]
        assert outcomes == [Refusal.WRONG] * (MAX_FAILURES - 1) + [Refusal.LOCKED]
        assert accounts.log_in(session, board.code, email, PASSWORD, T0) is Refusal.LOCKED
        almost = T0 + timedelta(minutes=LOCK_MINUTES) - timedelta(seconds=1)
        assert accounts.log_in(session, board.code, email, PASSWORD, almost) is Refusal.LOCKED
        later = T0 + timedelta(minutes=LOCK_MINUTES)
        assert isinstance(accounts.log_in(session, board.code, email, PASSWORD, later), Principal)

    def test_a_success_resets_the_count_of_failures(self, session: Session) -> None:
        board = _board(session)
        email = _account(session, board)
        for _ in range(MAX_FAILURES - 1):
            accounts.log_in(session, board.code, email, "wrong", T0)
        assert isinstance(accounts.log_in(session, board.code, email, PASSWORD, T0), Principal)
        assert accounts.log_in(session, board.code, email, "wrong", T0) is Refusal.WRONG

    def test_every_attempt_is_in_the_boards_audit_trail(self, session: Session) -> None:
        board = _board(session)
        email = _account(session, board)
        accounts.log_in(session, board.code, email, "wrong", T0 + timedelta(seconds=1))
        accounts.log_in(session, board.code, email, PASSWORD, T0 + timedelta(seconds=2))
        session.flush()
        actions = [a.action for a in accounts.recent_actions(session, board.id)]
        assert actions == ["logged_in", "login_failed", "account_created"]


class TestSessions:
    def test_logging_out_ends_every_session_issued_before(self, session: Session) -> None:
        board = _board(session)
        email = _account(session, board)
        who = accounts.log_in(session, board.code, email, PASSWORD, T0 + timedelta(seconds=1))
        assert isinstance(who, Principal)
        issued = T0 + timedelta(seconds=1)
        assert accounts.principal_of_session(session, who.account_id, issued) == who
        accounts.log_out(session, who, T0 + timedelta(seconds=2))
        assert accounts.principal_of_session(session, who.account_id, issued) is None
        later = T0 + timedelta(seconds=3)
        assert accounts.principal_of_session(session, who.account_id, later) == who


class TestRoles:
    @pytest.mark.parametrize(
        ("role", "permission", "allowed"),
        [
            (AdminRole.ADMIN, "decide", True),
            (AdminRole.DPO, "decide", False),
            (AdminRole.DPO, "sign_off", True),
            (AdminRole.VIEWER, "read", True),
            (AdminRole.VIEWER, "exceptions", False),
        ],
    )
    def test_roles_may_do_what_the_admin_api_allows_them(
        self, role: AdminRole, permission: str, allowed: bool
    ) -> None:
        import uuid

        who = Principal(uuid.uuid4(), uuid.uuid4(), role, "x@school.nl")
        if allowed:
            accounts.require(who, permission)
        else:
            with pytest.raises(NotPermitted, match=f"the {role} role may not"):
                accounts.require(who, permission)
