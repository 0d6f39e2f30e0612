"""The fast path of the UWLR reader takes plain answers only, and reads them as the exact one does.

A clean file read with record events only gives the very snapshot (records, links, warnings,
fingerprint) that the exact reader gives with every event; a file that is anything but plain
is handed back (``None``), so the exact reader words its first problem (tests/roster/test_uwlr).
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from koppelvlak.roster.importers import uwlr_fast
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.importers.uwlr import check_head, parse_uwlr_stream, refuse_dtd
from koppelvlak.roster.importers.uwlr_parser import UwlrParser
from tests.roster.conftest import GROUPS, LG_NS, SCHOOL, STUDENTS, TEACHERS, TODAY, uwlr
from tests.roster.hostile_uwlr import HOSTILE


def fast(data: bytes) -> Snapshot | None:
    return uwlr_fast.read(UwlrParser("export.xml", TODAY), io.BytesIO(data), lambda: "digest")


def exact(data: bytes) -> Snapshot:
    return parse_uwlr_stream(io.BytesIO(data), "export.xml", today=TODAY, exact=True)


def comparable(snapshot: Snapshot) -> Snapshot:
    """The snapshot without its fingerprint (here the fast path digests nothing)."""
    (school,) = snapshot.schools
    return replace(snapshot, schools=(replace(school, fingerprint=None),))


OUT_OF_ORDER = STUDENTS.replace(
    "<le:roepnaam>Sem</le:roepnaam>", "<le:onbekend>x</le:onbekend><le:roepnaam>Sem</le:roepnaam>"
)
CLEAN = {
    "bare": uwlr(),
    "in a SOAP envelope": uwlr(envelope=True),
    "with record warnings": uwlr(students=OUT_OF_ORDER),
    "with comments between records": uwlr(
        students=STUDENTS.replace("</le:leerling><le:", "</le:leerling><!--x--><le:")
    ),
    "without teachers": uwlr(teachers="<le:leerkrachten/>"),
}
UNUSUAL = {
    "sections out of schema order": uwlr(school="", groups=GROUPS + SCHOOL),
    "an unknown element between records": uwlr(
        students=STUDENTS.replace("</le:leerling><le:leerling", "</le:leerling><le:x/><le:leerling")
    ),
    "an unknown element after the last record": uwlr(
        teachers=TEACHERS.replace("</le:leerkrachten>", "<le:x/></le:leerkrachten>")
    ),
    "a student among the teachers": uwlr(
        teachers=TEACHERS.replace("</le:leerkrachten>", "<le:leerling key='9'/></le:leerkrachten>")
    ),
    "no data": f'<le:leerlinggegevens_antwoord xmlns:le="{LG_NS}"><le:geengegevens/>'
    "</le:leerlinggegevens_antwoord>".encode(),
}


class TestPlainAnswers:
    @pytest.mark.parametrize("data", CLEAN.values(), ids=CLEAN.keys())
    def test_the_fast_path_reads_them_exactly_as_the_exact_reader(self, data: bytes) -> None:
        read = fast(data)
        assert read is not None
        assert comparable(read) == comparable(exact(data))


class TestEverythingElse:
    @pytest.mark.parametrize("data", UNUSUAL.values(), ids=UNUSUAL.keys())
    def test_is_handed_to_the_exact_reader(self, data: bytes) -> None:
        assert fast(data) is None

    @pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE.keys())
    def test_no_refused_file_is_taken_by_the_fast_path(self, data: bytes, message: str) -> None:
        stream = io.BytesIO(data)
        try:
            check_head(stream.read(64 * 1024), "export.xml")
            stream.seek(0)
            refuse_dtd(stream, "export.xml")
        except ImportFailed:
            return  # refused before any reader runs
        assert fast(data) is None, message
