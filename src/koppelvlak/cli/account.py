"""``koppelvlak admin create``: a web login for a board (admin, DPO or viewer)."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import err


def create(
    board: str = typer.Option(..., help="Board code."),
    email: str = typer.Option(..., help="The person's e-mail address (their login)."),
    role: str = typer.Option("admin", help="admin, dpo or viewer."),
) -> None:
    """Create a web login; its generated password is shown once and stored as an argon2 hash."""
    from koppelvlak.accounts import service as accounts
    from koppelvlak.cli.arguments import parse_enum
    from koppelvlak.connections import service as connections
    from koppelvlak.connections.models import AdminRole
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    with runtime.unit_of_work(write=True) as session:
        issued = accounts.create_account(
            session,
            connections.board_id_by_code(session, board),
            email,
            parse_enum(AdminRole, role, "role"),
            at=utcnow(),
        )
    typer.echo(issued.password)
    err.print(
        f"account {issued.email} ({role}) on board {board}; log in at "
        f"{runtime.settings.public_url.rstrip('/')}/login — the password is shown only now",
        soft_wrap=True,
    )
