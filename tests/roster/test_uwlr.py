"""The UWLR reader: what it accepts, what it tolerates with a warning, what it refuses and why."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.importers.uwlr import parse_uwlr
from tests.roster.conftest import LG_NS, SCHOOL, STUDENTS, TODAY, uwlr
from tests.roster.hostile_uwlr import HOSTILE

WriteFile = Callable[..., Path]


def read(tmp_file: WriteFile, data: bytes) -> Snapshot:
    return parse_uwlr(tmp_file(data), today=TODAY)


def refused(tmp_file: WriteFile, data: bytes) -> str:
    with pytest.raises(ImportFailed) as caught:
        read(tmp_file, data)
    return str(caught.value)


class TestWhatItReads:
    def test_it_reads_the_school_groups_students_teachers_and_their_links(
        self, tmp_file: WriteFile
    ) -> None:
        school = read(tmp_file, uwlr()).schools[0]
        assert (school.brin, school.location_code, school.sector) == ("99XX", "00", "PO")
        assert school.school_year is not None
        assert school.school_year.name == "2024-2025"
        assert [(g.key, g.kind) for g in school.groups.records] == [
            ("Groep 1/Ä", "class_group"),
            ("plus klas", "composite_group"),
        ]
        assert [s.key for s in school.students.records] == ["000121", "121"]
        assert [(t.key, t.role) for t in school.staff.records] == [("T1", "LRK")]
        assert [(link.student_key, link.group_key) for link in school.student_links.records] == [
            ("000121", "Groep 1/Ä"),
            ("000121", "plus klas"),
            ("121", "Groep 1/Ä"),
        ]
        assert [
            (link.staff_key, link.group_key, link.role) for link in school.staff_links.records
        ] == [("T1", "Groep 1/Ä", "LRK")]

    def test_a_student_with_only_a_call_name_has_no_family_name(self, tmp_file: WriteFile) -> None:
        noor = read(tmp_file, uwlr()).schools[0].students.records[1]
        assert (noor.given_name, noor.family_name) == ("Noor", None)

    def test_a_spreadsheet_formula_in_a_name_is_kept_verbatim_as_text(
        self, tmp_file: WriteFile
    ) -> None:
        students = STUDENTS.replace("<le:roepnaam>Noor", "<le:roepnaam>=HYPERLINK(&quot;x&quot;)")
        noor = read(tmp_file, uwlr(students=students)).schools[0].students.records[1]
        assert noor.given_name == '=HYPERLINK("x")'

    @pytest.mark.parametrize("envelope", [False, True], ids=["bare", "soap"])
    def test_it_reads_a_bare_answer_and_one_in_a_soap_envelope(
        self, tmp_file: WriteFile, envelope: bool
    ) -> None:
        assert len(read(tmp_file, uwlr(envelope=envelope)).schools[0].students.records) == 2

    def test_prefixes_do_not_matter_and_a_default_namespace_works(
        self, tmp_file: WriteFile
    ) -> None:
        data = uwlr().replace(b"le:", b"").replace(b"xmlns:le=", b"xmlns=")
        assert len(read(tmp_file, data).schools[0].students.records) == 2
        data = uwlr().replace(b"le:", b"x9:").replace(b"xmlns:le=", b"xmlns:x9=")
        assert len(read(tmp_file, data).schools[0].students.records) == 2

    @pytest.mark.parametrize(
        ("encoding", "bom"),
        [("UTF-8", b""), ("UTF-8", codecs.BOM_UTF8), ("ISO-8859-1", b""), ("UTF-16", b"")],
    )
    def test_it_reads_the_encodings_las_systems_use(
        self, tmp_file: WriteFile, encoding: str, bom: bytes
    ) -> None:
        snapshot = read(tmp_file, bom + uwlr(encoding=encoding))
        assert snapshot.schools[0].groups.records[0].key == "Groep 1/Ä"

    def test_crlf_line_ends_are_fine(self, tmp_file: WriteFile) -> None:
        data = uwlr().replace(b"><", b">\r\n<")
        assert read(tmp_file, data).schools[0].students.records[0].family_name == "Jansen"

    @pytest.mark.parametrize("version", ["2.2", "2.3"])
    def test_versions_2_2_and_2_3_are_accepted(self, tmp_file: WriteFile, version: str) -> None:
        school = SCHOOL.replace(">2.2<", f">{version}<")
        assert read(tmp_file, uwlr(school=school)).schools[0].brin == "99XX"

    def test_in_2_3_a_student_without_a_key_is_known_by_its_eck_id(
        self, tmp_file: WriteFile
    ) -> None:
        school = SCHOOL.replace(">2.2<", ">2.3<")
        students = STUDENTS.replace('key="121"', 'eckid="https://ketenid.nl/201703/abc"')
        keys = [
            s.key
            for s in read(tmp_file, uwlr(school=school, students=students))
            .schools[0]
            .students.records
        ]
        assert keys == ["000121", "https://ketenid.nl/201703/abc"]

    def test_a_past_school_year_is_fine(self, tmp_file: WriteFile) -> None:
        school = SCHOOL.replace("2024-2025", "2019-2020")
        year = read(tmp_file, uwlr(school=school)).schools[0].school_year
        assert year is not None
        assert (year.starts_on.isoformat(), year.ends_on.isoformat()) == (
            "2019-08-01",
            "2020-07-31",
        )

    @pytest.mark.parametrize("answer", ["geengegevens", "geenwijzigingen"])
    def test_no_data_and_no_changes_answers_hold_no_school(
        self, tmp_file: WriteFile, answer: str
    ) -> None:
        data = (
            f'<leerlinggegevens_antwoord xmlns="{LG_NS}"><{answer}/></leerlinggegevens_antwoord>'
        ).encode()
        snapshot = read(tmp_file, data)
        assert snapshot.schools == ()
        assert snapshot.warnings == (
            f"export.xml: the LAS answered <{answer}/>: nothing to change",
        )


class TestWhatItTolerates:
    def test_children_out_of_order_and_empty_elements_become_warnings(
        self, tmp_file: WriteFile
    ) -> None:
        students = STUDENTS.replace(
            "<le:achternaam>Jansen</le:achternaam><le:roepnaam>Sem</le:roepnaam>",
            "<le:roepnaam>Sem</le:roepnaam><le:voorvoegsel/><le:achternaam>Jansen</le:achternaam>",
        )
        snapshot = read(tmp_file, uwlr(students=students))
        assert snapshot.schools[0].students.records[0].name_prefix is None
        assert snapshot.warnings == (
            "export.xml, line 2, leerlingen/leerling[@key='000121']: children out of schema "
            "order (tolerated)",
            "export.xml, line 2, leerlingen/leerling[@key='000121']/voorvoegsel: empty "
            "<voorvoegsel/> ignored",
        )

    def test_national_identifiers_ethnicity_and_country_of_birth_are_not_stored(
        self, tmp_file: WriteFile
    ) -> None:
        students = STUDENTS.replace(
            "</le:samengestelde_groepen>",
            "</le:samengestelde_groepen><le:etniciteit>9</le:etniciteit><le:land>NL</le:land>"
            "<le:bsn>123456782</le:bsn>",
        )
        snapshot = read(tmp_file, uwlr(students=students))
        record = snapshot.schools[0].students.records[0]
        assert not hasattr(record, "bsn")
        assert [w.split(": ", 1)[1].split(" ")[0] for w in snapshot.warnings] == [
            "<etniciteit>",
            "<land>",
            "<bsn>",
        ]
        assert "not stored (data minimisation" in snapshot.warnings[0]


class TestWhatItRefuses:
    @pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE.keys())
    def test_hostile_or_broken_input_is_refused_with_a_precise_message(
        self, tmp_file: WriteFile, data: bytes, message: str
    ) -> None:
        assert refused(tmp_file, data) == message

    def test_a_file_that_cannot_be_read_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ImportFailed) as caught:
            parse_uwlr(tmp_path / "missing.xml", today=TODAY)
        assert str(caught.value) == "missing.xml: cannot read the file: No such file or directory"

    def test_entities_are_never_expanded_even_without_a_doctype(self, tmp_file: WriteFile) -> None:
        data = uwlr(students=STUDENTS.replace("Jansen", "&xxe;"))
        message = refused(tmp_file, data)
        assert "Entity 'xxe' not defined" in message
