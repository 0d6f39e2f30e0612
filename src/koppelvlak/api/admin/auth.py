"""Bearer admin tokens: one board and one role per token (connections.admin_tokens).

Failed checks are counted per client address and per token id (``api/ratelimit.py``); while
either is over its limit the caller gets 429 before the token's hash is even checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from koppelvlak.api.ratelimit import FailedAttempts, client_address
from koppelvlak.connections.admin_tokens import AdminPrincipal, authenticate
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime


class NotAuthenticated(KoppelvlakError):
    status = 401
    title = "Not authenticated"


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on any error.

    A request that may change something is a writing unit (ADR 0004): on SQLite it takes the
    write lock before its first read, so it cannot fail on a lock another process took since.
    """
    runtime: Runtime = request.app.state.runtime
    with runtime.unit_of_work(write=request.method not in _READS) as work:
        yield work


def principal(request: Request, work: Annotated[Session, Depends(session)]) -> AdminPrincipal:
    """The board and role of a bearer admin token; failures count towards a lock-out."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an admin token as 'Authorization: Bearer <token>'")
    attempts: FailedAttempts = request.app.state.limits.failed_attempts
    address, credential = client_address(request), _token_key(token.strip())
    attempts.check(address, credential)
    found = authenticate(work, token.strip(), utcnow())
    if found is None:
        attempts.failed(address, credential)
        raise NotAuthenticated("the admin token is unknown, expired or revoked")
    return found


def _token_key(token: str) -> str | None:
    """The token's id part (``kva_<id>_<secret>``), never its secret, as the lock-out key."""
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == "kva" and len(parts[1]) <= 64:
        return f"admin-token:{parts[1]}"
    return None


SessionDep = Annotated[Session, Depends(session)]
PrincipalDep = Annotated[AdminPrincipal, Depends(principal)]
