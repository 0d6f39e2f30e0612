"""Bearer admin tokens: one board and one role per token (connections.admin_tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

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
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an admin token as 'Authorization: Bearer <token>'")
    found = authenticate(work, token.strip(), utcnow())
    if found is None:
        raise NotAuthenticated("the admin token is unknown, expired or revoked")
    return found


SessionDep = Annotated[Session, Depends(session)]
PrincipalDep = Annotated[AdminPrincipal, Depends(principal)]
