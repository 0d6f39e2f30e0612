"""``koppelvlak policy``: the board's privacy statements and terms, versions and acceptances.

Every command names the board (``--board CODE``) and records the actor (``--actor``, default
``dpo:<user>``). Policies are named by code or id; people by id or LAS key. A guardian who
decides for a child under 16 is named with ``--guardian``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from koppelvlak.cli.arguments import actor_of, connection_of, parse_enum
from koppelvlak.cli.console import err

app = typer.Typer(
    help="Policies: privacy statements and terms, versions, acceptances.", no_args_is_help=True
)

BOARD = typer.Option(..., "--board", help="Board code.")
ACTOR = typer.Option(None, "--actor", help="Who acts; default dpo:<user>.")
POLICY = typer.Argument(..., help="Policy code or id.")
VERSION = typer.Argument(..., help="Version number.", min=1)
PERSON = typer.Option(..., "--person", help="Id or LAS key of the person it is about.")
GUARDIAN = typer.Option(None, "--guardian", help="Guardian (id or key) deciding for a child.")
TEXT_NL = typer.Option(
    ..., "--text-nl", help="File with the Dutch text.", exists=True, dir_okay=False
)
TEXT_EN = typer.Option(
    ..., "--text-en", help="File with the English text.", exists=True, dir_okay=False
)


def _read(path: Path) -> str:
    from koppelvlak.errors import KoppelvlakError

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KoppelvlakError(f"{path}: cannot be read as UTF-8 text ({error})") from None


@app.command("list")
def list_policies(board: str = BOARD) -> None:
    """Every policy of the board with its audience and active version."""
    from koppelvlak.connections import service as connections
    from koppelvlak.policies import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        for p in service.policies(session, connections.board_id_by_code(session, board)):
            active = f"v{p.active_version}" if p.active_version else "no active version"
            kind = "required" if p.required else "optional"
            typer.echo(f"{p.code}  {p.audience:<9}  {kind:<8}  {active}  {p.name}")


@app.command("create")
def create(  # Typer passes options by name, so they are keyword-only
    *,
    code: str = typer.Argument(..., help="Short code, e.g. privacy-students."),
    name: str = typer.Option(..., "--name", help="The policy's title."),
    audience: str = typer.Option(..., "--audience", help="staff, students or guardians."),
    text_nl: Path = TEXT_NL,
    text_en: Path = TEXT_EN,
    optional: bool = typer.Option(False, "--optional", help="May be declined and withdrawn."),
    connection: str | None = typer.Option(
        None, "--connection", help="Consent-based connection whose consent it records."
    ),
    summary: str | None = typer.Option(None, "--summary", help="What this version says."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Create a policy; its first version is a draft until published. Prints the policy id."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.policies import service
    from koppelvlak.policies.models import Audience
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        policy = service.create_policy(
            session,
            board_id,
            code=code,
            name=name,
            audience=parse_enum(Audience, audience, "audience"),
            required=not optional,
            text_nl=_read(text_nl),
            text_en=_read(text_en),
            summary=summary,
            connection_id=connection_of(session, board_id, connection) if connection else None,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
        )
        typer.echo(str(policy.policy_id))
    err.print(f"policy {code} created; version 1 is a draft")


@app.command("draft")
def draft(
    *,
    policy: str = POLICY,
    text_nl: Path = TEXT_NL,
    text_en: Path = TEXT_EN,
    minor: bool = typer.Option(False, "--minor", help="A minor change: asks no new acceptance."),
    summary: str | None = typer.Option(None, "--summary", help="What changed."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Draft the next version of a policy. Prints its number."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.policies import lookup, service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        found = lookup.find_policy(session, board_id, policy)
        version = service.draft_version(
            session,
            board_id,
            found.id,
            text_nl=_read(text_nl),
            text_en=_read(text_en),
            minor_change=minor,
            summary=summary,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
        )
        typer.echo(str(version.number))


@app.command("publish")
def publish(
    policy: str = POLICY, version: int = VERSION, board: str = BOARD, actor: str | None = ACTOR
) -> None:
    """Make a draft the active version; the version active until now is archived."""
    _move("publish", policy, version, board, actor)


@app.command("archive")
def archive(
    policy: str = POLICY, version: int = VERSION, board: str = BOARD, actor: str | None = ACTOR
) -> None:
    """Archive a version (the active one too: the policy then has no active version)."""
    _move("archive", policy, version, board, actor)


def _move(action: str, policy: str, version: int, board: str, actor: str | None) -> None:
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.policies import lookup, service
    from koppelvlak.runtime import Runtime

    step = service.publish if action == "publish" else service.archive
    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        found = lookup.find_policy(session, board_id, policy)
        step(session, board_id, found.id, version, actor=actor_of(actor, "dpo"), at=utcnow())
    err.print(f"version {version} of policy {found.code} {action}ed")


@app.command("accept")
def accept(
    policy: str = POLICY,
    person: str = PERSON,
    guardian: str | None = GUARDIAN,
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Record that a person (or their guardian) accepted the active version."""
    _decide("accept", policy, person, guardian=guardian, board=board, actor=actor)


@app.command("withdraw")
def withdraw(
    policy: str = POLICY,
    person: str = PERSON,
    guardian: str | None = GUARDIAN,
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Withdraw the acceptance of an optional policy (and the consent it recorded)."""
    _decide("withdraw", policy, person, guardian=guardian, board=board, actor=actor)


def _decide(
    action: str,
    policy: str,
    person: str,
    *,
    guardian: str | None,
    board: str,
    actor: str | None,
) -> None:
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.policies import acceptance, lookup
    from koppelvlak.runtime import Runtime

    step = acceptance.accept if action == "accept" else acceptance.withdraw
    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        found = lookup.find_policy(session, board_id, policy)
        step(
            session,
            board_id,
            found.id,
            lookup.find_person(session, board_id, found, person),
            guardian_id=lookup.find_guardian(session, board_id, guardian) if guardian else None,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
        )
    err.print(f"policy {found.code}: {'accepted' if action == 'accept' else 'withdrawn'}")


@app.command("pending")
def pending(
    policy: str = POLICY,
    version: int | None = typer.Argument(None, help="Version number; default the active one."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    board: str = BOARD,
) -> None:
    """Who has not yet accepted this version: one line per person (id, LAS key, name)."""
    import json

    from koppelvlak.connections import service as connections
    from koppelvlak.policies import acceptance, lookup
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        found = lookup.find_policy(session, board_id, policy)
        result = acceptance.pending(session, board_id, found.id, version)
    if as_json:
        people = [
            {"kind": p.kind, "id": str(p.person_id), "source_key": p.source_key, "name": p.name}
            for p in result.people
        ]
        document = {"version": result.version, "accepted": result.accepted, "pending": people}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    for p in result.people:
        typer.echo(f"{p.person_id}  {p.source_key}  {p.name}")
    err.print(f"version {result.version}: {result.accepted} accepted, {len(result.people)} pending")
