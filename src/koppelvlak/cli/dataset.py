"""``koppelvlak dataset``: the catalogue, and datasets proposed per app."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import err, out

app = typer.Typer(help="Catalogue attributes and purposes; dataset versions.", no_args_is_help=True)
ATTRIBUTES = typer.Option(
    ...,
    "--attribute",
    help="Attribute id, with ':optional' when the school may switch it off; repeatable.",
)
ENTITIES = typer.Option(..., "--entity", help="students, staff or groups; repeatable.")


@app.command("attributes")
def attributes() -> None:
    """Every attribute of the catalogue with entity, category and sensitivity."""
    from koppelvlak.catalogue import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        for a in service.attributes(session).values():
            never = "  NEVER SHAREABLE" if not a.shareable else ""
            typer.echo(f"{a.id:<22} {a.category:<11} {a.sensitivity:<9} {a.description_en}{never}")


@app.command("purposes")
def purposes() -> None:
    """Every purpose with its lawful basis and retention."""
    from koppelvlak.catalogue import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        for p in service.purposes(session).values():
            typer.echo(f"{p.code:<22} {p.lawful_basis:<20} {p.retention:<6} {p.description_en}")


@app.command("propose")
def propose(
    app_id: str = typer.Argument(..., help="App id, name or slug (provider/app)."),
    *,
    attribute: list[str] = ATTRIBUTES,
    purpose: str = typer.Option(..., help="Purpose code (see 'dataset purposes')."),
    entity: list[str] = ENTITIES,
    delivery: str = typer.Option("pull", help="pull or push."),
    retention: str | None = typer.Option(None, help="ISO 8601 duration; default the purpose's."),
    statement: str | None = typer.Option(None, help="The purpose in the provider's words."),
    actor: str = typer.Option("operator", help="Who proposes."),
) -> None:
    """Propose the app's next dataset version; widenings wait for each school's approval."""
    from koppelvlak.cli.arguments import parse_enum
    from koppelvlak.connections import flows
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.providers.lookup import find_app
    from koppelvlak.providers.models import DeliveryMode
    from koppelvlak.providers.schemas import DatasetSpec
    from koppelvlak.runtime import Runtime

    spec = DatasetSpec(
        attributes={a.removesuffix(":optional"): not a.endswith(":optional") for a in attribute},
        purpose_code=purpose,
        entity_types=frozenset(entity),
        delivery_mode=parse_enum(DeliveryMode, delivery, "delivery mode"),
        retention=retention,
        purpose_statement=statement,
    )
    with Runtime.from_settings().unit_of_work(write=True) as session:
        version, outcomes = flows.propose_dataset_version(
            session, find_app(session, app_id).id, spec, actor=actor, at=utcnow()
        )
    typer.echo(f"version {version.version}")
    for o in outcomes:
        err.print(f"  connection {o.connection_id}: {o.outcome}")


@app.command("show")
def show(app_id: str = typer.Argument(..., help="App id, name or slug (provider/app).")) -> None:
    """Every version of the app's dataset, and what changed between them."""
    import json

    from koppelvlak.providers import service
    from koppelvlak.providers.datasets import versions_of_app
    from koppelvlak.providers.lookup import find_app
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        app_id_value = find_app(session, app_id).id
        versions = versions_of_app(session, app_id_value)
        previous = None
        for v in versions:
            typer.echo(
                f"version {v.version}  {v.purpose_code} ({v.lawful_basis})  retention {v.retention}"
                f"  {'sensitive' if v.sensitive else 'normal'}  by {v.created_by}"
            )
            for attribute_id, required in v.attributes.items():
                typer.echo(f"    {attribute_id}{'' if required else ' (optional)'}")
            if previous is not None:
                out.print_json(json.dumps(service.diff_versions(previous, v).as_dict()))
            previous = v
