"""``koppelvlak provider``: the operator registers, accredits and equips providers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from koppelvlak.cli.console import err

app = typer.Typer(
    help="Provider organisations, apps and credentials (operator).", no_args_is_help=True
)
PUBLIC_KEY = typer.Option(None, help="PEM public key file for private_key_jwt.")
SCHOOLS = typer.Option(
    ..., "--school", help="School id, BRIN, BRIN and location (99XX00) or name; repeatable."
)
PROVIDER = typer.Argument(..., help="Provider id, name, slug or KvK number.")


def _actor(actor: str | None) -> str:
    import getpass

    return actor or f"operator:{getpass.getuser()}"


@app.command("apply")
def apply(
    *,
    name: str = typer.Option(..., help="Organisation name."),
    kvk: str = typer.Option(..., help="Chamber of Commerce (KvK) number, 8 digits."),
    contact: str = typer.Option(..., help="Contact e-mail address."),
    security_contact: str = typer.Option(..., help="Security contact e-mail address."),
    privacy_url: str = typer.Option(..., help="Privacy statement address (https://…)."),
    oin: str | None = typer.Option(None, help="OIN (20 digits), where known."),
    covenant_signed_on: str | None = typer.Option(
        None, help="Privacy covenant signed on (YYYY-MM-DD)."
    ),
    agreement_on: str | None = typer.Option(
        None, help="Processing agreement signed on (YYYY-MM-DD)."
    ),
    agreement_version: str | None = typer.Option(None, help="Processing agreement version."),
) -> None:
    """Register an organisation's application (state: applied)."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.providers.schemas import Application
    from koppelvlak.runtime import Runtime

    application = Application(
        name=name,
        kvk_number=kvk,
        contact_email=contact,
        security_contact_email=security_contact,
        privacy_statement_url=privacy_url,
        oin=oin,
        covenant_signed_on=_date(covenant_signed_on),
        processing_agreement_on=_date(agreement_on),
        processing_agreement_version=agreement_version,
    )
    with Runtime.from_settings().unit_of_work(write=True) as session:
        provider = service.apply(session, application, utcnow())
        typer.echo(str(provider.id))
    err.print(f"{name} applied; accredit with: koppelvlak provider accredit {provider.id}")


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    from koppelvlak.errors import KoppelvlakError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise KoppelvlakError(f"{value!r} is not a date such as 2025-06-01") from None


@app.command("agreements")
def agreements(
    provider_id: str = PROVIDER,
    covenant_signed_on: str | None = typer.Option(
        None, help="Privacy covenant signed on (YYYY-MM-DD)."
    ),
    agreement_on: str | None = typer.Option(
        None, help="Processing agreement signed on (YYYY-MM-DD)."
    ),
    agreement_version: str | None = typer.Option(None, help="Processing agreement version."),
) -> None:
    """Add or correct the agreement dates of an application (accrediting needs both)."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        provider = service.complete_agreements(
            session,
            find_provider(session, provider_id).id,
            at=utcnow(),
            covenant_signed_on=_date(covenant_signed_on),
            processing_agreement_on=_date(agreement_on),
            processing_agreement_version=agreement_version,
        )
        err.print(
            f"{provider.name}: covenant {provider.covenant_signed_on or 'missing'}, processing "
            f"agreement {provider.processing_agreement_on or 'missing'}"
        )


@app.command("accredit")
def accredit(
    provider_id: str = PROVIDER,
    state: str = typer.Option("accredited", help="accredited, suspended or withdrawn."),
    reason: str | None = typer.Option(None, help="Reason (required unless accrediting)."),
    actor: str | None = typer.Option(None, help="Who decides; default operator:<user>."),
) -> None:
    """Record the operator's accreditation decision."""
    from koppelvlak.cli.arguments import parse_enum
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.providers.models import AccreditationState
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        provider = service.accredit(
            session,
            find_provider(session, provider_id).id,
            parse_enum(AccreditationState, state, "state"),
            actor=_actor(actor),
            at=utcnow(),
            reason=reason,
        )
        err.print(f"{provider.name} is {provider.accreditation_state}")


@app.command("list")
def list_providers() -> None:
    """Every provider (id, state, KvK number, name) and below it each app with its id.

    Commands take these ids, or the names and slugs shown here.
    """
    from koppelvlak.providers import service
    from koppelvlak.providers.lookup import slug
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        for p in service.list_providers(session):
            typer.echo(
                f"{p.provider_id}  {p.accreditation_state:<10}  {p.kvk_number}  {p.name}  "
                f"({slug(p.name)})"
            )
            for app_id, name in service.apps_of(session, p.provider_id):
                typer.echo(f"  app {app_id}  {name}  ({slug(name)})")


@app.command("app-add")
def app_add(
    provider_id: str = PROVIDER,
    name: str = typer.Argument(..., help="App name."),
    description: str | None = typer.Option(None, help="What the app does."),
) -> None:
    """Add an app to a provider; prints the app id."""
    from koppelvlak.providers import service
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        provider = find_provider(session, provider_id)
        app_row = service.add_app(session, provider.id, name, description)
        typer.echo(str(app_row.id))


@app.command("credential-create")
def credential_create(
    provider_id: str = PROVIDER,
    public_key: Path | None = PUBLIC_KEY,
    label: str | None = typer.Option(None, help="A label for the credential."),
) -> None:
    """Issue an OAuth2 client credential; the secret is shown once."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.runtime import Runtime

    pem = public_key.read_text(encoding="utf-8") if public_key else None
    with Runtime.from_settings().unit_of_work(write=True) as session:
        provider = find_provider(session, provider_id)
        issued = service.create_credential(
            session, provider.id, utcnow(), label=label, public_key_pem=pem
        )
    typer.echo(f"client_id={issued.client_id}")
    typer.echo(f"client_secret={issued.client_secret}")
    err.print("store the secret now: it is kept only as a hash")


@app.command("credential-rotate")
def credential_rotate(
    client_id: str = typer.Argument(..., help="Client id."),
    overlap_days: int = typer.Option(7, min=0, max=90, help="Days the old secret keeps working."),
) -> None:
    """Add a new secret; the old one expires after the overlap."""
    from datetime import timedelta

    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        issued = service.rotate_secret(
            session, client_id, utcnow(), overlap=timedelta(days=overlap_days)
        )
    typer.echo(f"client_secret={issued.client_secret}")


@app.command("credential-revoke")
def credential_revoke(client_id: str = typer.Argument(..., help="Client id.")) -> None:
    """Revoke a credential now; its tokens stop working at once."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        service.revoke_credential(session, client_id, utcnow())
    err.print(f"credential {client_id} revoked")


@app.command("uwlr-key-create")
def uwlr_key_create(
    provider_id: str = PROVIDER,
    board: str = typer.Option(..., help="Board code."),
    school: list[str] = SCHOOLS,
) -> None:
    """Issue a UWLR klantcode and autorisatiesleutel for schools of one board."""
    from koppelvlak.connections import service as connections
    from koppelvlak.connections.lookup import brin_and_location, find_school
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers import service
    from koppelvlak.providers.lookup import find_provider
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = connections.board_id_by_code(session, board)
        found = [brin_and_location(session, find_school(session, board_id, s)) for s in school]
        provider = find_provider(session, provider_id)
        issued = service.create_uwlr_key(session, provider.id, board_id, found, utcnow())
    typer.echo(f"klantcode={issued.klantcode}")
    typer.echo(f"autorisatiesleutel={issued.autorisatiesleutel}")
