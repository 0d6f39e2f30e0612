"""``koppelvlak connection``: a school's decisions on its connections (admin and DPO).

Every command names the board (``--board CODE``) and records the actor (``--actor``, default
``admin:<user>``); a connection of another board is not found. Connections, schools, groups,
people and providers are named by id or as the school knows them (``connections.lookup``,
``providers.lookup``): the app's name, BRIN and location, the LAS key, the provider's name.
"""

from __future__ import annotations

import typer

from koppelvlak.cli.arguments import actor_of, connection_of, parse_enum
from koppelvlak.cli.console import err, out

app = typer.Typer(help="Connections: approve, scope, exceptions, history.", no_args_is_help=True)

BOARD = typer.Option(..., "--board", help="Board code.")
ACTOR = typer.Option(None, "--actor", help="Who decides; default admin:<user>.")
GROUPS = typer.Option([], "--group", help="Group id, key or name; repeatable (groups scope).")
YEARS = typer.Option([], "--year", help="Year group; repeatable (year_groups scope).")
KEYS = typer.Option(..., "--key", help="LAS key of a student (or staff member); repeatable.")
CONNECTION = typer.Argument(..., help="Connection id or app name (BRIN/app when several).")
PROVIDER = typer.Option(..., "--provider", help="Provider id, name, slug or KvK number.")


@app.command("list")
def list_connections(board: str = BOARD) -> None:
    """Every connection of the board with its state, scope and dataset version."""
    from koppelvlak.connections import service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        views = service.connections_for_board(
            session, service.board_id_by_code(session, board), utcnow()
        )
        for v in views:
            pending = f" (v{v.pending_version} waits)" if v.pending_version else ""
            typer.echo(
                f"{v.connection_id}  {v.state:<9}  {v.school.brin}{v.school.location_code}  "
                f"{v.app_name}  v{v.dataset_version}{pending}  {v.scope_kind}"
                f"{' licensed' if v.licensed_only else ''}  {v.purpose} ({v.lawful_basis})"
            )


@app.command("request")
def request(
    board: str = BOARD,
    school: str = typer.Option(..., help="School id, BRIN, BRIN and location (99XX00) or name."),
    app_id: str = typer.Option(..., "--app", help="App id, name or slug (provider/app)."),
    uwlr_profile: str | None = typer.Option(None, help="smalle_set or lvs_set for UWLR delivery."),
    actor: str | None = ACTOR,
) -> None:
    """Request a connection of a school to an app (state: requested); prints its id."""
    from koppelvlak.connections import service
    from koppelvlak.connections.lookup import find_school
    from koppelvlak.connections.models import UwlrProfile
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers.lookup import find_app
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        connection = service.request(
            session,
            board_id=board_id,
            school_id=find_school(session, board_id, school),
            app_id=find_app(session, app_id).id,
            actor=actor_of(actor),
            at=utcnow(),
            uwlr_profile=parse_enum(UwlrProfile, uwlr_profile, "UWLR profile")
            if uwlr_profile
            else None,
        )
        typer.echo(str(connection.id))


def _decide(
    action: str, board: str, connection_id: str, actor: str | None, reason: str | None
) -> None:
    from koppelvlak.connections import service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        cid = connection_of(session, board_id, connection_id)
        now = utcnow()
        if action == "approve":
            connection = service.approve(session, board_id, cid, actor=actor_of(actor), at=now)
        elif action == "sign-off":
            connection = service.sign_off(
                session, board_id, cid, actor=actor_of(actor, "dpo"), at=now
            )
        elif action == "resume":
            connection = service.resume(session, board_id, cid, actor=actor_of(actor), at=now)
        else:
            decide = {
                "refuse": service.refuse,
                "suspend": service.suspend,
                "revoke": service.revoke,
            }[action]
            connection = decide(
                session, board_id, cid, actor=actor_of(actor), at=now, reason=reason
            )
        err.print(f"connection {cid} is {connection.state}")


@app.command("approve")
def approve(connection_id: str = CONNECTION, board: str = BOARD, actor: str | None = ACTOR) -> None:
    """Approve; a dataset with sensitive attributes also needs the DPO's sign-off."""
    _decide("approve", board, connection_id, actor, None)


@app.command("sign-off")
def sign_off(
    connection_id: str = CONNECTION, board: str = BOARD, actor: str | None = ACTOR
) -> None:
    """The DPO's sign-off of a sensitive dataset."""
    _decide("sign-off", board, connection_id, actor, None)


@app.command("refuse")
def refuse(
    connection_id: str = CONNECTION,
    reason: str = typer.Option(..., help="Why."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Refuse a requested connection, with a reason."""
    _decide("refuse", board, connection_id, actor, reason)


@app.command("suspend")
def suspend(
    connection_id: str = CONNECTION,
    reason: str = typer.Option(..., help="Why."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Suspend: the provider gets 403 at once until resumed."""
    _decide("suspend", board, connection_id, actor, reason)


@app.command("resume")
def resume(connection_id: str = CONNECTION, board: str = BOARD, actor: str | None = ACTOR) -> None:
    """Resume a suspended connection."""
    _decide("resume", board, connection_id, actor, None)


@app.command("revoke")
def revoke(
    connection_id: str = CONNECTION,
    reason: str = typer.Option(..., help="Why."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Revoke for good: the provider gets 403 at once."""
    _decide("revoke", board, connection_id, actor, reason)


@app.command("scope")
def set_scope(
    connection_id: str = CONNECTION,
    *,
    kind: str = typer.Option("whole_school", help="whole_school, groups or year_groups."),
    group: list[str] = GROUPS,
    year: list[str] = YEARS,
    licensed_only: bool = typer.Option(False, help="Only licensed users inside the scope."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Choose who the connection may concern."""
    from koppelvlak.connections import scope, service
    from koppelvlak.connections.lookup import find_group
    from koppelvlak.connections.models import ScopeKind
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        cid = connection_of(session, board_id, connection_id)
        school_id = service.get(session, board_id, cid).school_id
        scope.set_scope(
            session,
            board_id,
            cid,
            kind=parse_enum(ScopeKind, kind, "scope"),
            group_ids=frozenset(find_group(session, board_id, school_id, g) for g in group),
            year_groups=frozenset(year),
            licensed_only=licensed_only,
            actor=actor_of(actor),
            at=utcnow(),
        )
    err.print("scope set")


@app.command("switch")
def switch(
    connection_id: str = CONNECTION,
    attribute: str = typer.Argument(..., help="An optional attribute of the dataset."),
    off: bool = typer.Option(True, "--off/--on", help="Switch off (default) or back on."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Switch an optional attribute off for this connection (or back on)."""
    from koppelvlak.connections import scope, service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        scope.switch_attribute(
            session,
            board_id,
            connection_of(session, board_id, connection_id),
            attribute,
            on=not off,
            actor=actor_of(actor),
            at=utcnow(),
        )
    err.print(f"{attribute} switched {'off' if off else 'on'}")


@app.command("licence")
def licence(
    connection_id: str = CONNECTION,
    key: list[str] = KEYS,
    staff: bool = typer.Option(False, help="The keys are staff keys."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Upload licences (all or nothing; people outside the scope are refused)."""
    from koppelvlak.connections import scope, service
    from koppelvlak.connections.models import LicenceSource, PersonKindColumn
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        count = scope.add_licences(
            session,
            board_id,
            connection_of(session, board_id, connection_id),
            kind=PersonKindColumn.STAFF if staff else PersonKindColumn.STUDENT,
            keys=key,
            source=LicenceSource.SCHOOL,
            actor=actor_of(actor),
            at=utcnow(),
        )
    err.print(f"{count} new licence(s)")


@app.command("objection")
def objection(
    provider_id: str = PROVIDER,
    person_id: str = typer.Option(..., "--person", help="Student or staff id or LAS key."),
    lift: bool = typer.Option(False, help="Lift the objection instead."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Record (or lift) a person's objection to a provider."""
    from koppelvlak.connections import exceptions, service
    from koppelvlak.connections.lookup import find_person
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        call = exceptions.lift_objection if lift else exceptions.record_objection
        call(
            session,
            board_id,
            find_provider(session, provider_id).id,
            find_person(session, board_id, person_id),
            actor=actor_of(actor),
            at=utcnow(),
        )
    err.print("objection lifted" if lift else "objection recorded")


@app.command("consent")
def consent(
    provider_id: str = PROVIDER,
    student_id: str = typer.Option(..., "--student", help="Student id or LAS key."),
    state: str = typer.Option(..., help="given, refused or withdrawn."),
    decided_by: str = typer.Option(..., "--by", help="The parent or guardian who decided."),
    board: str = BOARD,
) -> None:
    """Record a parent's consent decision for a child and a provider."""
    from koppelvlak.connections import exceptions, service
    from koppelvlak.connections.lookup import find_person
    from koppelvlak.connections.models import ConsentState, PersonKindColumn
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        exceptions.record_consent(
            session,
            board_id,
            find_provider(session, provider_id).id,
            find_person(session, board_id, student_id, PersonKindColumn.STUDENT),
            parse_enum(ConsentState, state, "consent state"),
            decided_by=decided_by,
            at=utcnow(),
        )
    err.print(f"consent {state} recorded")


@app.command("version")
def version(
    connection_id: str = CONNECTION,
    decision: str = typer.Argument("show", help="show, approve, refuse or sign-off."),
    reason: str | None = typer.Option(None, help="Why (when refusing)."),
    board: str = BOARD,
    actor: str | None = ACTOR,
) -> None:
    """Show, approve or refuse the dataset version a provider proposed for this connection."""
    import json

    from koppelvlak.connections import flows, service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = service.board_id_by_code(session, board)
        cid = connection_of(session, board_id, connection_id)
        now = utcnow()
        if decision == "show":
            diff = flows.pending_diff(session, board_id, cid)
            out.print_json(json.dumps(diff.as_dict() if diff else None))
        elif decision == "approve":
            diff = flows.approve_version(session, board_id, cid, actor=actor_of(actor), at=now)
            err.print(f"now on version {diff.to_version}")
        elif decision == "refuse":
            flows.refuse_version(
                session, board_id, cid, actor=actor_of(actor), at=now, reason=reason
            )
            err.print("version refused; the approved version stays")
        elif decision == "sign-off":
            flows.sign_off_version(session, board_id, cid, actor=actor_of(actor, "dpo"), at=now)
            err.print("signed off")
        else:
            from koppelvlak.errors import KoppelvlakError

            raise KoppelvlakError(
                f"decision {decision!r} is not one of show, approve, refuse, sign-off"
            )


@app.command("history")
def history(connection_id: str = CONNECTION, board: str = BOARD) -> None:
    """Who decided what and when, with the difference between dataset versions."""
    import json

    from koppelvlak.connections import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = service.board_id_by_code(session, board)
        events = service.history(session, board_id, connection_of(session, board_id, connection_id))
        for e in events:
            change = f"{e.from_state or ''}→{e.to_state}" if e.to_state else ""
            extra = f"  {json.dumps(e.detail, sort_keys=True)}" if e.detail else ""
            why = f"  ({e.reason})" if e.reason else ""
            typer.echo(f"{e.at.isoformat()}  {e.actor:<20}  {e.action:<18} {change}{why}{extra}")
