"""One readable line for any failure a command meets (a module of its own: every command and
the root use it, and it imports none of them)."""

from __future__ import annotations


def describe(error: BaseException) -> str:
    from koppelvlak.errors import KoppelvlakError

    if isinstance(error, KoppelvlakError):
        return str(error)
    module = type(error).__module__
    if module.startswith("sqlalchemy"):
        from koppelvlak.db import short_reason

        return f"database error: {short_reason(error)}"
    return f"unexpected {type(error).__name__}: {error} (set KOPPELVLAK_DEBUG=1 for details)"
