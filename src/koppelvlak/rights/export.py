"""The access export (GDPR art. 15): one ZIP per person, JSON files plus a summary in Dutch and
English a parent can read.

Everything is read for one board and one person id, never by name, so a namesake's data
cannot slip in. The disclosures come from the ledger (``audit.service.disclosures_for_person``):
every entry that names the person, with the provider, connection, purpose, channel and the
attributes the response carried. The query a provider sent is left out: it is the provider's
request, and a filter in it may name other people.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from koppelvlak import __version__
from koppelvlak.audit import service as audit
from koppelvlak.audit.reports import PersonDisclosure
from koppelvlak.connections.models import PersonKindColumn
from koppelvlak.kit.clock import as_utc
from koppelvlak.rights import repository
from koppelvlak.rights.errors import PersonNotFound
from koppelvlak.roster.models import Staff, Student

_templates = Environment(
    loader=PackageLoader("koppelvlak.rights", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

# Internal columns that say nothing about the person (tenant and school keys, sync stamps).
_SKIPPED = frozenset({"board_id", "school_id"})

Json = dict[str, Any]


@dataclass(frozen=True)
class ExportContents:
    """What Koppelvlak holds about one person, as plain JSON-ready values."""

    made_at: str
    person: Json
    groups: list[Json]
    objections: list[Json]
    consents: list[Json]
    disclosures: list[Json]
    results: list[Json]
    requests: list[Json]


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    return getattr(value, "value", value)


def _row(row: object, skip: frozenset[str] = _SKIPPED) -> Json:
    table = row.__table__  # type: ignore[attr-defined]  # every ORM row has its table
    return {c.key: _plain(getattr(row, c.key)) for c in table.columns if c.key not in skip}


def _person(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> Student | Staff:
    found = repository.student(session, board_id, person_id) or repository.staff(
        session, board_id, person_id
    )
    if found is None:
        raise PersonNotFound(f"no student or staff member with id {person_id} in this board")
    return found


def contents(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> ExportContents:
    person = _person(session, board_id, person_id)
    kind = PersonKindColumn.STUDENT if isinstance(person, Student) else PersonKindColumn.STAFF
    school = repository.school(session, person.school_id)
    record = {"kind": kind.value, **_row(person)}
    if school is not None:
        record["school"] = {
            "brin": school.brin,
            "location_code": school.location_code,
            "name": school.name,
        }
    objections = repository.objections(session, board_id, person_id)
    consents = repository.consents(session, board_id, person_id) if kind == "student" else []
    scores = repository.results(session, board_id, person_id) if kind == "student" else []
    ledger = audit.disclosures_for_person(session, board_id, person_id)
    names = repository.provider_names(
        session,
        [o.provider_id for o in objections]
        + [c.provider_id for c in consents]
        + [d.provider_id for d in ledger],
    )
    facts = repository.connection_facts(
        session, board_id, [d.connection_id for d in ledger] + [s.connection_id for s in scores]
    )
    return ExportContents(
        made_at=as_utc(at).isoformat(),
        person=record,
        groups=_groups(session, board_id, person_id, kind),
        objections=[
            {"provider": names.get(o.provider_id, "?"), **_row(o, _SKIPPED | {"person_id"})}
            for o in objections
        ],
        consents=[
            {"provider": names.get(c.provider_id, "?"), **_row(c, _SKIPPED | {"student_id"})}
            for c in consents
        ],
        disclosures=[_disclosure(d, names, facts) for d in ledger],
        results=[_result(s, facts) for s in scores],
        requests=_requests(session, board_id, person_id),
    )


def _groups(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID, kind: PersonKindColumn
) -> list[Json]:
    rows = (
        repository.student_groups(session, board_id, person_id)
        if kind is PersonKindColumn.STUDENT
        else repository.staff_groups(session, board_id, person_id)
    )
    return [
        {
            "group_id": str(group.id),
            "key": group.source_key,
            "name": group.name,
            "kind": group.kind.value,
            "year_group": group.year_group,
            "school_year": year,
            "member_since": _plain(membership.created_at),
            "left_at": _plain(membership.removed_at),
            "role": getattr(membership, "role", None),
        }
        for membership, group, year in rows
    ]


def _disclosure(
    entry: PersonDisclosure,
    names: dict[uuid.UUID, str],
    facts: dict[uuid.UUID, tuple[str, str, str]],
) -> Json:
    app, school, purpose = facts.get(entry.connection_id, ("?", "?", "?"))
    return {
        "entry_id": str(entry.entry_id),
        "sequence": entry.sequence,
        "when": _plain(entry.recorded_at),
        "provider": names.get(entry.provider_id, "?"),
        "provider_id": str(entry.provider_id),
        "connection_id": str(entry.connection_id),
        "app": app,
        "school": school,
        "purpose": purpose,
        "channel": entry.channel.value,
        "endpoint": entry.endpoint,
        "attributes": None if entry.attribute_ids is None else sorted(entry.attribute_ids),
    }


def _result(score: Any, facts: dict[uuid.UUID, tuple[str, str, str]]) -> Json:
    app, school, purpose = facts.get(score.connection_id, ("?", "?", "?"))
    fields = _row(score, _SKIPPED | {"student_id", "batch_id"})
    return {"app": app, "school": school, "purpose": purpose, **fields}


def _requests(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> list[Json]:
    found = []
    for request in repository.requests_of_person(session, board_id, person_id):
        steps = [
            _row(e, _SKIPPED | {"board_id", "request_id", "id"})
            for e in repository.events(session, request.id)
        ]
        found.append({**_row(request, _SKIPPED | {"person_id"}), "steps": steps})
    return found


def summary_html(export: ExportContents) -> str:
    """The readable summary: what is held, who received what, in Dutch and in English."""
    providers = sorted({d["provider"] for d in export.disclosures})
    return _templates.get_template("export_summary.html").render(
        export=export, providers=providers, version=__version__
    )


def build_zip(export: ExportContents) -> bytes:
    """The ZIP: one JSON file per part, and ``samenvatting-summary.html``."""
    parts: dict[str, object] = {
        "person.json": export.person,
        "groups.json": export.groups,
        "exceptions.json": {"objections": export.objections, "consents": export.consents},
        "disclosures.json": export.disclosures,
        "results.json": export.results,
        "requests.json": export.requests,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in parts.items():
            text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
            archive.writestr(_entry(name, export.made_at), text + "\n")
        archive.writestr(_entry("samenvatting-summary.html", export.made_at), summary_html(export))
    return buffer.getvalue()


def _entry(name: str, made_at: str) -> zipfile.ZipInfo:
    moment = datetime.fromisoformat(made_at)
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def export_person(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> bytes:
    """The whole export as ZIP bytes (``koppelvlak export person`` and the admin API)."""
    return build_zip(contents(session, board_id, person_id, at))
