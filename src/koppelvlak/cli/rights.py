"""``koppelvlak rights``: data-subject requests from the DPO's desk — file, check identity,
approve or refuse, extend, carry out, remind, and make a signed link for a person or guardian.

Each step prints one line to stderr; ``list`` and ``show`` print JSON to stdout, so a script
can read them.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from koppelvlak.cli.arguments import actor_of, parse_enum, parse_id
from koppelvlak.cli.console import err

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from koppelvlak.rights.models import RightsRequest
    from koppelvlak.runtime import Runtime

app = typer.Typer(help="Data-subject requests: access, erasure, objection, …", no_args_is_help=True)

BOARD = typer.Option(..., "--board", help="Board code.")
ACTOR = typer.Option(None, "--actor", help="Who takes the step (default dpo:<your user>).")
REASON = typer.Option(None, "--reason", help="Why (required).")
NOTE = typer.Option(None, "--note", help="A note recorded with the step.")
REQUEST = typer.Argument(..., help="Request id.")
OUTPUT = typer.Option(None, "--output", "-o", help="Access: write the export ZIP here.")


def _runtime() -> Runtime:
    from koppelvlak.runtime import Runtime

    return Runtime.from_settings()


def _board(session: Session, code: str) -> uuid.UUID:
    from koppelvlak.connections import service

    return service.board_id_by_code(session, code)


def _line(request: RightsRequest) -> str:
    deadline = request.deadline.strftime("%Y-%m-%d")
    return f"{request.id} {request.kind} {request.state} (deadline {deadline})"


@app.command("file")
def file_request(
    *,
    board: str = BOARD,
    person: str = typer.Option(..., "--person", help="Student or staff id or LAS key."),
    kind: str = typer.Option(
        ..., "--kind", help="access, erasure, objection, rectification or restriction."
    ),
    provider: str | None = typer.Option(None, "--provider", help="Objection: only this one."),
    email: str | None = typer.Option(None, "--email", help="Where to mail the requester."),
    details: str | None = typer.Option(None, "--details", help="What the requester asked."),
    actor: str | None = ACTOR,
) -> None:
    """File a request for a person of the board."""
    from koppelvlak.connections.lookup import find_person
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.rights import requests
    from koppelvlak.rights.models import RequestKind

    runtime = _runtime()
    with runtime.unit_of_work(write=True) as session:
        board_id = _board(session, board)
        filing = requests.Filing(
            kind=parse_enum(RequestKind, kind, "kind"),
            person_id=find_person(session, board_id, person),
            actor=actor_of(actor, "dpo"),
            provider_id=find_provider(session, provider).id if provider else None,
            contact_email=email,
            details=details,
        )
        filed = requests.file_request(
            session, board_id, filing, at=utcnow(), dpo_email=runtime.settings.dpo_email
        )
    err.print(f"filed {_line(filed)}")


@app.command("list")
def list_requests(
    board: str = BOARD, open_only: bool = typer.Option(False, "--open", help="Only open ones.")
) -> None:
    """The board's requests as JSON, oldest first."""
    from koppelvlak.rights import requests
    from koppelvlak.rights.schemas import RequestOut

    with _runtime().unit_of_work() as session:
        found = requests.requests_of_board(session, _board(session, board), open_only=open_only)
        rows = [RequestOut.of(r).model_dump(mode="json") for r in found]
    _print_json({"requests": rows})


@app.command("show")
def show(request_id: str = REQUEST, board: str = BOARD) -> None:
    """One request with every step, as JSON."""
    from koppelvlak.rights import requests
    from koppelvlak.rights.schemas import RequestOut

    wanted = parse_id(request_id, "request")
    with _runtime().unit_of_work() as session:
        board_id = _board(session, board)
        found = requests.get(session, board_id, wanted)
        shown = RequestOut.of(found, requests.events(session, board_id, wanted))
    _print_json(shown.model_dump(mode="json"))


def _print_json(value: object) -> None:
    import json

    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _step(step: str, request_id: str, board: str, actor: str | None, **fields: str | None) -> None:
    """One workflow step by its name in ``rights.requests``: the four commands differ in no more."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import requests

    wanted = parse_id(request_id, "request")
    with _runtime().unit_of_work(write=True) as session:
        done = getattr(requests, step)(
            session,
            _board(session, board),
            wanted,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
            **fields,
        )
    err.print(_line(done))


@app.command("check-identity")
def check_identity(
    request_id: str = REQUEST,
    board: str = BOARD,
    note: str | None = NOTE,
    actor: str | None = ACTOR,
) -> None:
    """The requester is the person, or a guardian of the child: checked."""
    _step("check_identity", request_id, board, actor, note=note)


@app.command("approve")
def approve(request_id: str = REQUEST, board: str = BOARD, actor: str | None = ACTOR) -> None:
    """Approve a request whose requester's identity is checked."""
    _step("approve", request_id, board, actor)


@app.command("refuse")
def refuse(
    request_id: str = REQUEST,
    board: str = BOARD,
    reason: str | None = REASON,
    actor: str | None = ACTOR,
) -> None:
    """Refuse a request; the reason is required and the requester is told it."""
    _step("refuse", request_id, board, actor, reason=reason)


@app.command("extend")
def extend(
    request_id: str = REQUEST,
    board: str = BOARD,
    reason: str | None = REASON,
    actor: str | None = ACTOR,
) -> None:
    """Extend the deadline once, by two months, with a reason."""
    _step("extend", request_id, board, actor, reason=reason)


@app.command("carry-out")
def carry_out(
    request_id: str = REQUEST,
    board: str = BOARD,
    note: str | None = NOTE,
    output: Path | None = OUTPUT,
    actor: str | None = ACTOR,
) -> None:
    """Do what an approved request asks (an access request writes its export with -o)."""
    from koppelvlak.errors import KoppelvlakError
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import actions, export, requests
    from koppelvlak.rights.models import RequestKind

    wanted = parse_id(request_id, "request")
    with _runtime().unit_of_work(write=True) as session:
        board_id = _board(session, board)
        found = requests.get(session, board_id, wanted)
        if found.kind is RequestKind.ACCESS and output is None:
            raise KoppelvlakError("an access request needs --output FILE.zip for its export")
        at = utcnow()
        done = actions.carry_out(
            session, board_id, wanted, actor=actor_of(actor, "dpo"), at=at, note=note
        )
        archive = (
            export.export_person(session, board_id, requests.subject_of(done), at)
            if done.kind is RequestKind.ACCESS
            else None
        )
    if archive is not None and output is not None:
        output.write_bytes(archive)
        err.print(f"export written to {output}")
    err.print(f"{_line(done)}: {done.outcome}")


@app.command("remind")
def remind(
    board: str | None = typer.Option(None, "--board", help="Board code (default: every board)."),
    days: int = typer.Option(7, "--days", min=0, max=60, help="Remind this many days ahead."),
) -> None:
    """Mail the DPO about every open request whose deadline is near (once per deadline)."""
    from datetime import timedelta

    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import repository, requests

    runtime = _runtime()
    with runtime.unit_of_work(write=True) as session:
        boards = [_board(session, board)] if board else repository.board_ids(session)
        due = [
            r
            for board_id in boards
            for r in requests.remind(
                session,
                board_id,
                at=utcnow(),
                dpo_email=runtime.settings.dpo_email,
                within=timedelta(days=days),
            )
        ]
    if due and not runtime.settings.dpo_email:
        err.print("[yellow]KOPPELVLAK_DPO_EMAIL is not set: no reminder was mailed[/]")
    err.print(f"{len(due)} request(s) near their deadline")


@app.command("link")
def link(
    *,
    board: str = BOARD,
    person: str = typer.Option(..., "--person", help="Student or staff id or LAS key."),
    kind: str = typer.Option("access", "--kind", help="access or objection."),
    guardian: str | None = typer.Option(None, "--guardian", help="Guardian id (for a child)."),
    provider: str | None = typer.Option(None, "--provider", help="Objection: only this one."),
    days: int = typer.Option(14, "--days", min=1, max=60, help="Days the link stays valid."),
) -> None:
    """Print a signed, single-use link the person or guardian files the request with."""
    from datetime import timedelta

    from koppelvlak.connections.lookup import find_person
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.rights import links
    from koppelvlak.rights.models import RequestKind

    runtime = _runtime()
    with runtime.unit_of_work() as session:
        board_id = _board(session, board)
        issued = links.make_link(
            session,
            runtime.secrets.session_key,
            board_id,
            find_person(session, board_id, person),
            parse_enum(RequestKind, kind, "kind"),
            at=utcnow(),
            guardian_id=parse_id(guardian, "guardian") if guardian else None,
            provider_id=find_provider(session, provider).id if provider else None,
            valid_for=timedelta(days=days),
        )
    typer.echo(issued.url(runtime.settings.public_url))
    err.print(f"valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC; it works once")
