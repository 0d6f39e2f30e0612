"""Ledger failures: a disclosure that cannot be recorded is not sent (DESIGN invariant 1)."""

from __future__ import annotations

from koppelvlak.errors import KoppelvlakError, NotFound


class LedgerUnavailable(KoppelvlakError):
    """The ledger could not be written; the caller answers 503 and sends nothing."""

    status = 503
    problem_type = "https://koppelvlak.nl/problems/ledger-unavailable"
    title = "Disclosure ledger unavailable"


class UnknownBoard(NotFound):
    title = "Unknown board"
