"""Ledger failures: a disclosure that cannot be recorded is not sent (DESIGN invariant 1)."""

from __future__ import annotations

from koppelvlak.errors import KoppelvlakError, NotFound


class LedgerUnavailable(KoppelvlakError):
    """The ledger could not be written; the caller answers 503 and sends nothing.

    The detail a provider sees is always the same sentence; the database's own reason (which
    may name tables or internal ids) is kept in ``reason`` for the logs.
    """

    status = 503
    problem_type = "https://koppelvlak.nl/problems/ledger-unavailable"
    title = "Disclosure ledger unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__("the disclosure could not be recorded, so nothing was sent")
        self.reason = reason


class UnknownBoard(NotFound):
    title = "Unknown board"
