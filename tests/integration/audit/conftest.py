"""Ledger test helpers: boards to record for, and a way to fill a chain."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from koppelvlak.audit import service
from koppelvlak.audit.values import Disclosure, LedgerReceipt
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory


@pytest.fixture
def make_board(session: Session) -> Callable[[], Board]:
    def make() -> Board:
        board: Board = BoardFactory()
        session.add(board)
        session.flush()
        return board

    return make


@pytest.fixture
def board(make_board: Callable[[], Board]) -> Board:
    return make_board()


RecordMany = Callable[..., list[LedgerReceipt]]


@pytest.fixture
def record_many(session: Session) -> RecordMany:
    """Record ``count`` disclosures for a board; keyword arguments go to the factory."""

    def record(board_id: uuid.UUID, count: int, **fields: object) -> list[LedgerReceipt]:
        disclosures: list[Disclosure] = DisclosureFactory.build_batch(
            count, board_id=board_id, **fields
        )
        return [service.record(session, disclosure) for disclosure in disclosures]

    return record
