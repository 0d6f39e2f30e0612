"""Carrying out an approved request: what each kind of request does to the data.

- access: the export is made (``rights.export``); the request records how much it held.
- objection: an objection for the named provider, or for every provider connected to the
  board, through ``connections.exceptions`` — so the kept release drops the person at once.
- restriction: an objection on every provider connected to the board, recorded as a
  restriction (ADR 0112): nothing about the person leaves until it is lifted.
- rectification: the LAS is the source; the school corrects it there and records what it did
  (ADR 0112); the next sync carries the correction to every provider.
- erasure: ``rights.erasure.erase_person_data`` (the erasure context): a legal hold refuses it,
  otherwise the person's data goes, a deletion notice is made per provider that received it,
  and the person's requests forget them (``requests.forget_person``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.connections import exceptions
from koppelvlak.rights import erasure, repository, requests
from koppelvlak.rights.errors import ReasonRequired
from koppelvlak.rights.models import RequestKind, RightsRequest


def carry_out(
    session: Session,
    board_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
) -> RightsRequest:
    """Do what the approved request asks and mark it carried out, in one transaction."""
    request = requests.get(session, board_id, request_id)
    requests.require_step(request, "carry_out")
    person_id = requests.subject_of(request)
    outcome = _OUTCOMES[request.kind](session, request, actor, at, note)
    done = requests.finish(session, request, actor=actor, at=at, outcome=outcome)
    if request.kind is RequestKind.ERASURE:  # the requests keep no trace of the person either
        requests.forget_person(session, board_id, person_id)
    return done


def _access(
    session: Session, request: RightsRequest, _actor: str, at: datetime, _note: str | None
) -> str:
    from koppelvlak.rights import export

    contents = export.contents(session, request.board_id, requests.subject_of(request), at)
    return (
        f"access export made: {len(contents.disclosures)} disclosures, "
        f"{len(contents.groups)} groups, {len(contents.results)} results"
    )


def _objection(
    session: Session, request: RightsRequest, actor: str, at: datetime, _note: str | None
) -> str:
    providers = _providers(session, request)
    _object(session, request, providers, actor, at)
    return f"objection recorded for {len(providers)} provider(s)"


def _restriction(
    session: Session, request: RightsRequest, actor: str, at: datetime, _note: str | None
) -> str:
    providers = _providers(session, request)
    _object(session, request, providers, actor, at)
    return f"restriction: every release stopped by an objection for {len(providers)} provider(s)"


def _rectification(
    session: Session, _request: RightsRequest, _actor: str, _at: datetime, note: str | None
) -> str:
    if note is None or not note.strip():
        raise ReasonRequired(
            "say what was corrected in the LAS (the source); the next sync carries it on"
        )
    return f"corrected in the LAS: {note.strip()[: requests.MAX_TEXT]}"


def _erasure(
    session: Session, request: RightsRequest, actor: str, at: datetime, _note: str | None
) -> str:
    report = erasure.erase_person_data(
        session,
        board_id=request.board_id,
        person_id=requests.subject_of(request),
        at=at,
        request_ref=f"rights request {request.id}",
        actor=actor,
    )
    rows = sum(report.removed.values())
    return f"erased: {rows} row(s) removed, {len(report.notices)} deletion notice(s) made"


def _providers(session: Session, request: RightsRequest) -> list[uuid.UUID]:
    if request.provider_id is not None:
        return [request.provider_id]
    return repository.provider_ids_of_board(session, request.board_id)


def _object(
    session: Session,
    request: RightsRequest,
    providers: list[uuid.UUID],
    actor: str,
    at: datetime,
) -> None:
    by = f"{actor} ({request.kind} request {request.id})"[:200]
    for provider_id in providers:
        exceptions.record_objection(
            session, request.board_id, provider_id, requests.subject_of(request), actor=by, at=at
        )


_OUTCOMES = {
    RequestKind.ACCESS: _access,
    RequestKind.OBJECTION: _objection,
    RequestKind.RESTRICTION: _restriction,
    RequestKind.RECTIFICATION: _rectification,
    RequestKind.ERASURE: _erasure,
}
