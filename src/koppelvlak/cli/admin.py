"""``koppelvlak admin``: tokens for the admin JSON API (one board, one role each)."""

from __future__ import annotations

import typer

from koppelvlak.cli import account
from koppelvlak.cli.console import err

app = typer.Typer(help="Admin API access.", no_args_is_help=True)
token_app = typer.Typer(help="Admin API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def create(
    board: str = typer.Option(..., help="Board code."),
    role: str = typer.Option("admin", help="admin, dpo or viewer."),
    label: str = typer.Option("cli", help="Who holds the token (recorded as the actor)."),
    days: int | None = typer.Option(None, min=1, max=3650, help="Expires after this many days."),
) -> None:
    """Issue a bearer token for the admin API; it is shown once and stored as a hash."""
    from datetime import timedelta

    from koppelvlak.cli.arguments import parse_enum
    from koppelvlak.connections import admin_tokens
    from koppelvlak.connections import service as connections
    from koppelvlak.connections.models import AdminRole
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    now = utcnow()
    with Runtime.from_settings().unit_of_work(write=True) as session:
        issued = admin_tokens.create_token(
            session,
            connections.board_id_by_code(session, board),
            parse_enum(AdminRole, role, "role"),
            label=label,
            at=now,
            expires_at=now + timedelta(days=days) if days else None,
        )
    typer.echo(issued.token)
    err.print(
        f"token {issued.token_id} for board {board} as {role}; send it as 'Authorization: Bearer …'"
    )


@token_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="Token id (shown when created).")) -> None:
    """Revoke a token at once."""
    from koppelvlak.cli.arguments import parse_id
    from koppelvlak.connections import admin_tokens
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        admin_tokens.revoke_token(session, parse_id(token_id, "token"), utcnow())
    err.print(f"token {token_id} revoked")


app.command("create")(account.create)
