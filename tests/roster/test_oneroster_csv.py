"""The OneRoster 1.2 CSV reader: exact headers, manifest modes, safe zips, precise refusals,
and deltas whose references resolve against the stored roster."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.errors import KoppelvlakError
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.oneroster_map import parse_oneroster
from koppelvlak.roster.importers.oneroster_spec import COLUMNS
from koppelvlak.roster.importers.oneroster_stored import Stored
from koppelvlak.roster.importers.snapshot import Mode, Snapshot
from koppelvlak.roster.models import Guardian, Staff, Student
from koppelvlak.roster.repository import stored_references
from koppelvlak.roster.service import ImportReport
from tests.roster.conftest import CATALYST, TODAY, dump, import_snapshot
from tests.roster.oneroster_package import ROWS, write_package


def read(path: Path) -> Snapshot:
    return parse_oneroster(path, today=TODAY)


def refused(path: Path) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        read(path)
    return caught.value


def with_row(name: str, **changes: str) -> dict[str, list[dict[str, str]]]:
    return {name: [{**ROWS[name][0], **changes}, *ROWS[name][1:]]}


class TestWhatItReads:
    def test_schools_groups_people_and_links_come_from_orgs_classes_users_roles_enrollments(
        self, tmp_path: Path
    ) -> None:
        snapshot = read(write_package(tmp_path))
        assert snapshot.board_hint == "B1"
        school = snapshot.schools[0]
        assert (school.brin, school.location_code, school.name) == ("99XX", "00", "De Regenboog")
        assert [s.key for s in school.students.records] == ["000121", "121"]
        assert [(s.key, s.role_description) for s in school.staff.records] == [("t1", "teacher")]
        assert [g.key for g in snapshot.guardians.records] == ["p1"]
        assert [(g.guardian_key, g.student_key) for g in school.guardian_links.records] == [
            ("p1", "000121")
        ]
        assert school.students.records[0].birth_date is not None

    def test_a_formula_in_a_name_stays_text(self, tmp_path: Path) -> None:
        rows = with_row("users", givenName='=HYPERLINK("http://x","y")')
        school = read(write_package(tmp_path, rows)).schools[0]
        assert school.students.records[0].given_name == '=HYPERLINK("http://x","y")'

    def test_metadata_columns_after_the_standard_ones_are_allowed(self, tmp_path: Path) -> None:
        header = [*COLUMNS["users"], "metadata.nl.initials", "metadata.other"]
        rows = with_row("users", **{"metadata.nl.initials": "S."})
        school = read(write_package(tmp_path, rows, headers={"users": header})).schools[0]
        assert school.students.records[0].initials == "S."

    def test_without_demographics_birth_dates_are_left_as_they_are(self, tmp_path: Path) -> None:
        package = write_package(tmp_path, manifest={"file.demographics": "absent"})
        assert {"birth_date", "sex"} <= read(package).schools[0].absent_fields

    def test_a_delta_marks_tobedeleted_people_and_enrollments_for_removal(
        self, tmp_path: Path
    ) -> None:
        rows = {
            "users": [{**ROWS["users"][1], "status": "tobedeleted"}],
            "roles": [],
            "enrollments": [{**ROWS["enrollments"][0], "status": "tobedeleted"}],
            "demographics": [],
            "classes": [],
        }
        snapshot = read(write_package(tmp_path, rows, mode="delta"))
        school = snapshot.schools[0]
        assert school.students.mode is Mode.MERGE
        assert school.students.removed == frozenset({"121"})
        assert school.student_links.removed == frozenset({"000121\x00Groep 1/Ä"})

    def test_race_and_birthplace_are_not_stored(self, tmp_path: Path) -> None:
        rows = with_row("demographics", white="true", countryOfBirthCode="NL")
        snapshot = read(write_package(tmp_path, rows))
        assert snapshot.warnings == (
            "demographics.csv, line 2: white not stored (data minimisation)",
            "demographics.csv, line 2: countryOfBirthCode not stored (data minimisation)",
        )


class TestTheCatalystSample:
    def test_the_real_world_sample_is_refused_naming_each_of_its_defects(self) -> None:
        error = refused(CATALYST)
        assert error.problems == (
            "manifest.csv, line 21: file.scoreScales is ''; expected bulk, delta or absent",
            "manifest.csv, line 22: file.userProfiles is ''; expected bulk, delta or absent",
            "manifest.csv, line 23: file.userResources is ''; expected bulk, delta or absent",
            "roles.csv, line 1: unknown column 'dataLastModified' (column 3); expected "
            "'dateLastModified'",
            "roles.csv, line 1: column 10 has no name; expected a 1.2 column or metadata.*",
            "roles.csv, line 1: column 11 has no name; expected a 1.2 column or metadata.*",
            "roles.csv, line 1: column 'userProfileSourcedId' is missing; expected it (OneRoster "
            "1.2)",
            "userprofiles.csv: the file name is 'userprofiles.csv'; expected 'userProfiles.csv'",
            "userprofiles.csv, line 1: the columns are not those of userProfiles.csv (14 "
            "differences); they are those of roles.csv",
            "users.csv, line 1: unknown column 'prefferedGivenName' (column 18); expected "
            "'preferredGivenName'",
            "users.csv, line 1: unknown column 'prefferedMiddleName' (column 19); expected "
            "'preferredMiddleName'",
            "users.csv, line 1: unknown column 'prefferedFamilyName' (column 20); expected "
            "'preferredFamilyName'",
            "users.csv, line 1: column 'resourceSourcedIds' is missing; expected it (OneRoster "
            "1.2)",
            "orgs.csv: parentSourcedId 'org-sch-222-3456' is not an org in the file; expected a "
            "listed sourcedId",
            "academicSessions.csv, line 2: status 'tobedeleted' in a bulk file; expected it only "
            "in a delta file",
            "classes.csv, line 2: classType 'Scheduled' is not a 1.2 code; expected one of "
            "homeroom, scheduled",
            "users.csv, line 2: dateLastModified '1/05/2023' is not an ISO 8601 date-time; "
            "expected e.g. 2025-05-01T18:25:43.511Z",
            "roles.csv, line 2: 9 fields; expected 11",
        )


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "package.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


class TestWhatItRefuses:
    def test_an_extra_column_is_named(self, tmp_path: Path) -> None:
        header = [*COLUMNS["orgs"], "extra"]
        error = refused(write_package(tmp_path, headers={"orgs": header}))
        assert (
            str(error)
            == "orgs.csv, line 1: unknown column 'extra' (column 8); expected only 1.2 columns"
        )

    def test_columns_in_another_order_are_refused(self, tmp_path: Path) -> None:
        header = list(COLUMNS["orgs"])
        header[3], header[4] = header[4], header[3]
        error = refused(write_package(tmp_path, headers={"orgs": header}))
        assert str(error) == (
            "orgs.csv, line 1: the columns are not in the 1.2 order; expected sourcedId,status,"
            "dateLastModified,name,type,identifier,parentSourcedId (then metadata.* columns)"
        )

    def test_a_zip_member_with_a_parent_path_is_refused(self, tmp_path: Path) -> None:
        error = refused(_zip(tmp_path, {"../evil.csv": b"x", "manifest.csv": b""}))
        assert str(error) == (
            "package.zip: zip member '../evil.csv' has an unsafe path; expected plain file names "
            "inside the package"
        )

    def test_a_zip_member_with_an_absolute_path_is_refused(self, tmp_path: Path) -> None:
        error = refused(_zip(tmp_path, {"/etc/cron.d/x": b"x"}))
        assert "zip member '/etc/cron.d/x' has an unsafe path" in str(error)

    def test_a_zip_bomb_is_refused_before_it_is_unpacked(self, tmp_path: Path) -> None:
        error = refused(_zip(tmp_path, {"users.csv": b"0" * 20_000_000}))
        assert str(error).startswith(
            "package.zip: zip member 'users.csv' unpacks to 20000000 bytes from "
        )
        assert str(error).endswith("; expected an ordinary CSV file (a zip bomb?)")

    def test_a_field_over_one_megabyte_is_refused(self, tmp_path: Path) -> None:
        rows = with_row("users", givenName="x" * (1024 * 1024 + 1))
        error = refused(write_package(tmp_path, rows))
        assert str(error) == (
            "users.csv, line 2: a field is larger than 1048576 characters (1 MB); expected less"
        )

    def test_a_file_that_is_not_utf8_is_refused(self, tmp_path: Path) -> None:
        package = write_package(tmp_path)
        users = package / "users.csv"
        users.write_bytes(users.read_bytes().replace(b"Noor", "Noör".encode("latin-1")))
        assert (
            str(refused(package))
            == "users.csv, line 1: the file is not UTF-8 (byte 0xf6); expected UTF-8"
        )

    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            (with_row("orgs"), None),
            (
                {"orgs": [ROWS["orgs"][0], {**ROWS["orgs"][1], "identifier": "De Regenboog"}]},
                "orgs.csv, line 3: school 's1' has identifier 'De Regenboog'; expected its BRIN "
                "code such as 99XX or 99XX00 (Koppelvlak keys schools by BRIN)",
            ),
            (
                with_row("enrollments", classSourcedId="nope"),
                "enrollments.csv, line 2: classSourcedId 'nope' is not a class in classes.csv; "
                "expected a sourcedId listed there",
            ),
            (
                with_row("roles", userSourcedId="ghost"),
                "roles.csv, line 2: userSourcedId 'ghost' is not a user in users.csv; expected a "
                "sourcedId listed there",
            ),
            (
                with_row("demographics", birthDate="2023-02-30"),
                "demographics.csv, line 2: birthDate '2023-02-30' is not a valid date (no such "
                "day); expected YYYY-MM-DD",
            ),
            (
                with_row("demographics", birthDate="2030-01-01"),
                "demographics.csv, line 2: birthDate 2030-01-01 lies in the future; expected a "
                "date on or before 2026-11-23",
            ),
            (
                with_row("users", sourcedId="121"),
                "users.csv, line 3: sourcedId '121' appears twice; expected unique sourcedIds",
            ),
            (
                with_row("roles", role="boss"),
                "roles.csv, line 2: role 'boss' is not a 1.2 code; expected one of aide, "
                "counselor, districtAdministrator, guardian, parent, principal, proctor, relative, "
                "siteAdministrator, student, systemAdministrator, teacher",
            ),
            (
                with_row("users", status="tobedeleted"),
                "users.csv, line 2: status 'tobedeleted' in a bulk file; expected it only in a "
                "delta file",
            ),
        ],
        ids=[
            "valid",
            "not a BRIN",
            "unknown class",
            "unknown user",
            "impossible date",
            "future birth date",
            "duplicate key",
            "unknown code",
            "tobedeleted in bulk",
        ],
    )
    def test_bad_rows_are_refused_with_file_line_and_expectation(
        self, tmp_path: Path, rows: dict[str, list[dict[str, str]]], message: str | None
    ) -> None:
        package = write_package(tmp_path, rows)
        if message is None:
            assert read(package).schools
        else:
            assert str(refused(package)) == message

    def test_a_manifest_of_another_version_is_refused(self, tmp_path: Path) -> None:
        package = write_package(tmp_path, manifest={"oneroster.version": "1.1"})
        assert str(refused(package)) == "manifest.csv: oneroster.version is '1.1'; expected '1.2'"

    def test_a_package_without_a_manifest_is_refused(self, tmp_path: Path) -> None:
        package = write_package(tmp_path)
        (package / "manifest.csv").unlink()
        assert str(refused(package)) == (
            f"{package.name}: the package has no manifest.csv; expected a OneRoster 1.2 manifest"
        )

    def test_a_delta_row_without_a_timestamp_is_refused(self, tmp_path: Path) -> None:
        rows = {"users": [{**ROWS["users"][0], "dateLastModified": ""}]}
        package = write_package(tmp_path, rows, mode="delta")
        assert str(refused(package)) == (
            "users.csv, line 2: a delta row needs status and dateLastModified; expected both"
        )


class TestControlCharacters:
    @pytest.mark.parametrize(
        ("value", "code"), [("Sem\x00", "0000"), ("S\x1bm", "001B"), ("S\x85m", "0085")]
    )
    def test_a_control_character_in_a_field_is_refused_naming_file_line_and_field(
        self, tmp_path: Path, value: str, code: str
    ) -> None:
        package = write_package(
            tmp_path,
            {
                "users": [
                    ROWS["users"][0],
                    {**ROWS["users"][1], "givenName": value},
                    *ROWS["users"][2:],
                ]
            },
        )
        assert str(refused(package)) == (
            f"users.csv, line 3, givenName: the field holds the control character U+{code}; "
            "expected text without control characters (tab, CR and LF aside)"
        )

    def test_tab_and_line_breaks_inside_a_quoted_field_are_text(self, tmp_path: Path) -> None:
        rows = with_row("classes", title="Groep\t1A\r\nnieuw")
        school = read(write_package(tmp_path, rows)).schools[0]
        assert school.groups.records[0].name == "Groep\t1A\r\nnieuw"


DELTA = "2025-06-01T10:00:00Z"


def _delta(folder: Path, rows: dict[str, list[dict[str, str]]]) -> Path:
    """A delta as real exports write it: only the files that changed; the rest marked absent."""
    absent = {f"file.{name}": "absent" for name in ROWS if name not in rows}
    package = write_package(folder, rows, mode="delta", manifest=absent)
    for name in ROWS:
        if name not in rows:
            (package / f"{name}.csv").unlink()
    return package


class TestADeltaWithoutOrgs:
    """References a delta does not carry resolve against the board's stored roster."""

    @pytest.fixture
    def bulk(self, session: Session, tmp_path: Path) -> None:
        package = write_package(tmp_path / "bulk")
        assert isinstance(
            import_snapshot(session, lambda: parse_oneroster(package, today=TODAY)), ImportReport
        )

    def _import(
        self, session: Session, package: Path, board: str | None = "B1"
    ) -> ImportReport | KoppelvlakError:
        return import_snapshot(
            session,
            lambda: parse_oneroster(
                package, today=TODAY, stored=lambda: stored_references(session, board)
            ),
            board,
        )

    def test_a_new_class_and_its_enrollments_land_in_the_stored_school(
        self, session: Session, tmp_path: Path, bulk: None
    ) -> None:
        klass = {**ROWS["classes"][0], "sourcedId": "g2", "title": "Groep 2", "grades": "2"}
        enrolled = {**ROWS["enrollments"][1], "sourcedId": "e9", "classSourcedId": "g2"}
        report = self._import(
            session, _delta(tmp_path / "d", {"classes": [klass], "enrollments": [enrolled]})
        )
        assert isinstance(report, ImportReport), str(report)
        assert report.counts["group"]["added"] == 1
        assert report.counts["membership"]["added"] == 1
        assert report.counts["school"] == {"added": 0, "changed": 0, "removed": 0, "total": 1}

    def test_an_enrollment_in_a_stored_class_resolves_without_classes_csv(
        self, session: Session, tmp_path: Path, bulk: None
    ) -> None:
        gone = {**ROWS["enrollments"][0], "status": "tobedeleted"}
        report = self._import(session, _delta(tmp_path / "d", {"enrollments": [gone]}))
        assert isinstance(report, ImportReport), str(report)
        assert report.counts["membership"]["removed"] == 1

    def test_a_changed_or_removed_user_without_a_roles_row_stays_where_it_is_stored(
        self, session: Session, tmp_path: Path, bulk: None
    ) -> None:
        renamed = {**ROWS["users"][0], "familyName": "Jansen-Bos"}
        removed = {**ROWS["users"][1], "status": "tobedeleted"}
        teacher = {**ROWS["users"][2], "email": "ida@example.org"}
        package = _delta(tmp_path / "d", {"users": [renamed, removed, teacher], "roles": []})
        report = self._import(session, package)
        assert isinstance(report, ImportReport), str(report)
        assert report.counts["student"] == {"added": 0, "changed": 1, "removed": 1, "total": 1}
        assert report.counts["staff"]["changed"] == 1
        names = dict(session.execute(select(Student.source_key, Student.family_name)).all())
        assert names["000121"] == "Jansen-Bos"
        staff = session.execute(select(Staff.email, Staff.role_description)).one()
        assert tuple(staff) == ("ida@example.org", "teacher")

    def test_a_changed_guardian_without_a_roles_row_is_updated(
        self, session: Session, tmp_path: Path, bulk: None
    ) -> None:
        parent = {**ROWS["users"][3], "phone": "0687654321"}
        report = self._import(session, _delta(tmp_path / "d", {"users": [parent], "roles": []}))
        assert isinstance(report, ImportReport), str(report)
        assert report.counts["guardian"]["changed"] == 1
        assert session.execute(select(Guardian.phone)).scalar_one() == "0687654321"

    def test_a_school_neither_in_the_package_nor_stored_is_refused_and_nothing_changes(
        self, session: Session, tmp_path: Path, bulk: None
    ) -> None:
        before = dump(session)
        klass = {**ROWS["classes"][0], "sourcedId": "g2", "schoolSourcedId": "s9"}
        result = self._import(session, _delta(tmp_path / "d", {"classes": [klass]}))
        assert str(result) == (
            "classes.csv, line 2: schoolSourcedId 's9' is neither a school in orgs.csv nor a "
            "stored school of board B1; expected the sourcedId of a school org in the package "
            "or imported before"
        )
        assert dump(session) == before

    def test_with_nothing_stored_the_refusal_asks_for_the_board(self, tmp_path: Path) -> None:
        package = _delta(tmp_path / "d", {"classes": ROWS["classes"]})
        assert str(refused(package)) == (
            "classes.csv, line 2: schoolSourcedId 's1' is neither a school in orgs.csv nor a "
            "stored school; expected the sourcedId of a school org in the package or imported "
            "before (name the board with --board)"
        )

    def test_a_bulk_package_never_reads_the_stored_roster(self, tmp_path: Path) -> None:
        def forbidden() -> Stored:
            raise AssertionError("a bulk package read the stored roster")

        assert parse_oneroster(write_package(tmp_path), today=TODAY, stored=forbidden).schools
