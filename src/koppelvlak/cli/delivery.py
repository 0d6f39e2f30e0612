"""``koppelvlak notices`` and ``koppelvlak delivery``: deletion notices, pushes, dead letters."""

from __future__ import annotations

import json
import uuid

import typer

from koppelvlak.cli.console import out

notices_app = typer.Typer(
    help="Deletion notices: who must still delete whom.", no_args_is_help=True
)
app = typer.Typer(help="Push deliveries: endpoints, dead letters, retries.", no_args_is_help=True)

_BOARD = typer.Option(..., "--board", help="Board code.")
_JSON = typer.Option(False, "--json", help="JSON instead of a table.")


@notices_app.command("list")
def list_notices(
    board: str = _BOARD,
    overdue: bool = typer.Option(False, "--overdue", help="Only open notices past their due time."),
    acknowledged: bool = typer.Option(False, "--acknowledged", help="Only acknowledged ones."),
    as_json: bool = _JSON,
) -> None:
    """The board's open deletion notices (no person's name: the pseudonym the provider knows)."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import notices
    from koppelvlak.delivery.push import admin_document
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    state = "overdue" if overdue else "acknowledged" if acknowledged else "open"
    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        found = notices.for_board(session, board_id=board_id, state=state, at=utcnow())
        rows = [admin_document(n) for n in found]
    if as_json:
        out.print_json(json.dumps({"state": state, "notices": rows}))
        return
    for row in rows:
        due = (row["dueAt"] or "")[:10]
        escalated = "  escalated" if row["escalatedAt"] else ""
        typer.echo(
            f"{row['id']}  {row['reason']:<18} provider {row['providerId']}  due {due}{escalated}"
        )
    typer.echo(f"{len(rows)} {state} notice(s)")


@notices_app.command("escalate")
def escalate(
    board: str | None = typer.Option(None, "--board", help="Board code; all if unset."),
) -> None:
    """Escalate every overdue notice once (mail to the board's contact, or a log line)."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import notices
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = None if board is None else connections.board_id_by_code(session, board)
        done = notices.escalate(session, at=utcnow(), board_id=board_id)
    typer.echo(f"{len(done)} notice(s) escalated")


def _uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise typer.BadParameter(f"{what} {text!r} is not a UUID") from None


@app.command("register")
def register(
    board: str = _BOARD,
    connection: str = typer.Option(..., "--connection", help="Connection id."),
    url: str = typer.Option(..., "--url", help="The provider's HTTPS endpoint."),
) -> None:
    """Deliver a connection by push; an active one gets its full release at once."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import push
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    with runtime.unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        push.register(
            session,
            board_id=board_id,
            connection_id=_uuid(connection, "connection"),
            url=url,
            actor="cli",
            at=utcnow(),
            allow_loopback_http=runtime.settings.delivery_allow_loopback_http,
        )
    typer.echo(f"connection {connection} is delivered by push to {url}")


@app.command("key")
def key(
    provider: str = typer.Option(..., "--provider", help="Provider id."),
    rotate: bool = typer.Option(False, "--rotate", help="Add a new key version first."),
    overlap_days: int = typer.Option(7, "--overlap-days", min=0, help="Old key keeps signing."),
) -> None:
    """Show the provider's live signing keys (to hand over securely); optionally rotate first."""
    from datetime import timedelta

    from koppelvlak.delivery import signing
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    provider_id = _uuid(provider, "provider")
    with runtime.unit_of_work(write=True) as session:
        if rotate:
            signing.rotate(session, provider_id, utcnow(), timedelta(days=overlap_days))
        live = signing.live_keys(session, runtime.secrets.token_signing_key, provider_id, utcnow())
    for item in live:
        typer.echo(f"version {item.version}: {signing.encoded(item.key)}")


@app.command("list")
def list_deliveries(
    board: str = _BOARD,
    state: str | None = typer.Option(None, "--state", help="pending, delivered or dead."),
    as_json: bool = _JSON,
) -> None:
    """The board's deliveries, newest first (no bodies: they hold personal data)."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import views, worker
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        rows = [
            views.delivery(d)
            for d in worker.deliveries(session, board_id=board_id, state=views.state(state))
        ]
    if as_json:
        out.print_json(json.dumps({"deliveries": rows}))
        return
    for row in rows:
        typer.echo(
            f"{row['id']}  {row['state']:<9} {row['kind']:<8} attempts {row['attempts']}"
            f"  {row['lastError'] or ''}".rstrip()
        )
    typer.echo(f"{len(rows)} deliveries")


@app.command("retry")
def retry(
    delivery: str = typer.Argument(..., help="Delivery id."),
    board: str = _BOARD,
) -> None:
    """Send a dead-lettered delivery again (same bytes, same id, a fresh round of attempts)."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import worker
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        worker.retry(
            session, board_id=board_id, delivery_id=_uuid(delivery, "delivery"), at=utcnow()
        )
    typer.echo(f"delivery {delivery} will be sent again")
