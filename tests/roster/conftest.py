"""Helpers for the import tests: UWLR documents, the official XSD, database dumps.

``dump`` pictures every table but the import history, so "a refused import changes nothing"
is checked by comparing two dumps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from koppelvlak.db import Base
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import utcnow
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.models import ImportRun
from koppelvlak.roster.service import ImportReport, apply_snapshot, record_refused
from tests.conftest import TEST_DATA
from tests.support.uwlr import SCHEMAS

TODAY = date(2026, 11, 23)
LG_NS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"


CATALYST = TEST_DATA / "oneroster" / "catalyst-v1p2-csv"

SCHOOL = (
    "<le:school><le:schooljaar>2024-2025</le:schooljaar><le:brincode>99XX</le:brincode>"
    "<le:dependancecode>00</le:dependancecode><le:xsdversie>2.2</le:xsdversie></le:school>"
)
GROUPS = (
    '<le:groepen><le:groep key="Groep 1/Ä"><le:naam>Groep 1A</le:naam>'
    "<le:jaargroep>1</le:jaargroep></le:groep>"
    '<le:samengestelde_groep key="plus klas"><le:naam>Plusklas</le:naam></le:samengestelde_groep>'
    "</le:groepen>"
)
STUDENTS = (
    '<le:leerlingen><le:leerling key="000121"><le:achternaam>Jansen</le:achternaam>'
    "<le:roepnaam>Sem</le:roepnaam><le:geboortedatum>2019-03-04</le:geboortedatum>"
    '<le:geslacht>1</le:geslacht><le:jaargroep>1</le:jaargroep><le:groep key="Groep 1/Ä"/>'
    '<le:samengestelde_groepen><le:samengestelde_groep key="plus klas"/></le:samengestelde_groepen>'
    "</le:leerling>"
    '<le:leerling key="121"><le:roepnaam>Noor</le:roepnaam><le:groep key="Groep 1/Ä"/>'
    "</le:leerling></le:leerlingen>"
)
TEACHERS = (
    '<le:leerkrachten><le:leerkracht key="T1"><le:achternaam>Bos</le:achternaam>'
    '<le:rol>LRK</le:rol><le:groepen><le:groep key="Groep 1/Ä"><le:rol>LRK</le:rol></le:groep>'
    "</le:groepen></le:leerkracht></le:leerkrachten>"
)


def uwlr(
    *,
    school: str = SCHOOL,
    groups: str = GROUPS,
    students: str = STUDENTS,
    teachers: str = TEACHERS,
    envelope: bool = False,
    encoding: str = "UTF-8",
    declaration: str | None = None,
) -> bytes:
    """A small UWLR answer with the ``le`` prefix; optionally inside a SOAP 1.1 envelope."""
    body = (
        f'<le:leerlinggegevens_antwoord xmlns:le="{LG_NS}"><le:leerlinggegevens>'
        f"{school}{groups}{students}{teachers}</le:leerlinggegevens></le:leerlinggegevens_antwoord>"
    )
    if envelope:
        body = (
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            f"<soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
        )
    head = declaration or f'<?xml version="1.0" encoding="{encoding}"?>\n'
    return (head + body).encode(encoding if encoding.upper() != "UTF-16" else "utf-16")


def dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the import history, in a stable order."""
    session.flush()
    picture = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "import_run":
            continue
        rows = session.execute(text(f"SELECT * FROM {table.name}")).all()  # noqa: S608  (table names come from our own metadata)
        picture[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return picture


def import_snapshot(
    session: Session, parse: Callable[[], Snapshot], board: str | None = "B1"
) -> ImportReport | KoppelvlakError:
    """The CLI's pipeline inside a test transaction: a failure is rolled back, then recorded."""
    started = utcnow()
    savepoint = session.begin_nested()
    try:
        report = apply_snapshot(session, parse(), board_code=board, today=TODAY, started_at=started)
    except KoppelvlakError as error:
        savepoint.rollback()
        record_refused(
            session,
            source_kind="uwlr",
            source="test",
            error=error,
            started_at=started,
            board_code=board,
        )
        return error
    savepoint.commit()
    return report


def last_run(session: Session) -> ImportRun:
    run = session.scalars(select(ImportRun).order_by(ImportRun.started_at.desc())).first()
    assert run is not None
    return run


class _SchooljaarOverlay(etree.Resolver):
    """NOTES.md §15.4: the official enumeration ends at 2024-2025; extend it for tests only."""

    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        if url.startswith(("http:", "https:")):
            raise RuntimeError(f"schema tried to fetch {url}")
        if url.endswith("EDEXML.types.variabel.xsd"):
            path = url[7:] if url.startswith("file://") else url
            source = Path(path).read_text(encoding="utf-8")
            extra = "".join(f'<xs:enumeration value="{y}-{y + 1}"/>' for y in range(2025, 2041))
            marker = '<xs:enumeration value="2024-2025"/>'
            return self.resolve_string(
                source.replace(marker, marker + extra, 1), context, base_url=url
            )
        return None


@lru_cache(maxsize=2)
def uwlr_schema(*, overlay: bool) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    if overlay:
        parser.resolvers.add(_SchooljaarOverlay())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "UWLR_Leerlinggegevens_v2p2.xsd"), parser))


@pytest.fixture
def tmp_file(tmp_path: Path) -> Callable[[bytes, str], Path]:
    def write(data: bytes, name: str = "export.xml") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
