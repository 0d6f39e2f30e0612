"""The access export, end to end: exactly the person's data and every disclosure the ledger
holds for them — checked against the ledger — and nothing about anyone else, not even a
namesake in the same school."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.audit.values import Channel
from koppelvlak.connections import exceptions
from koppelvlak.connections.models import ConsentState
from koppelvlak.results.models import ResultBatch, ResultScore
from koppelvlak.rights import export
from koppelvlak.rights.errors import PersonNotFound
from koppelvlak.roster.models import Group, Student, StudentMembership
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import T0, Setup
from tests.factories.rights import Family, family
from tests.factories.roster import GroupFactory

FILES = {
    "person.json",
    "groups.json",
    "exceptions.json",
    "disclosures.json",
    "results.json",
    "requests.json",
    "samenvatting-summary.html",
}


def _group(session: Session, people: Family, name: str, *members: Student) -> Group:
    group: Group = GroupFactory(
        board_id=people.board_id, school_id=people.first.school.id, source_key=name
    )
    session.add(group)
    session.flush()
    for member in members:
        session.add(
            StudentMembership(board_id=people.board_id, student_id=member.id, group_id=group.id)
        )
    session.flush()
    return group


def _disclose(session: Session, setup: Setup, *people: Student, channel: Channel) -> None:
    audit.record(
        session,
        DisclosureFactory(
            board_id=setup.board.id,
            provider_id=setup.provider.id,
            connection_id=setup.connection.id,
            channel=channel,
            person_ids=frozenset(p.id for p in people),
            attribute_ids=frozenset({"student.given_name", "student.year_group"}),
        ),
        at=T0 + timedelta(minutes=len(people)),
    )


def _result(session: Session, setup: Setup, student: Student, key: str, score: int) -> None:
    batch = ResultBatch(
        board_id=setup.board.id,
        connection_id=setup.connection.id,
        provider_id=setup.provider.id,
        brin=setup.school.brin,
        location_code=setup.school.location_code,
        school_year="2025-2026",
        created_at_source=T0,
        xsd_version="2.2",
        received_at=T0,
    )
    session.add(batch)
    session.flush()
    session.add(
        ResultScore(
            board_id=setup.board.id,
            batch_id=batch.id,
            connection_id=setup.connection.id,
            student_id=student.id,
            provider_student_key=f"p-{key}",
            result_key=key,
            taken_on=date(2026, 1, 12),
            test_code="REKENEN-M6",
            score=score,
            xml=f"<resultaat><key>{key}</key></resultaat>",
        )
    )
    session.flush()


def _unzip(archive: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {
            name: opened.read(name).decode()
            if name.endswith(".html")
            else json.loads(opened.read(name))
            for name in opened.namelist()
        }


@pytest.fixture
def people(session: Session) -> Family:
    """The child and the namesake share a group, each has a group of their own, both were
    disclosed together and apart, each has a result and an objection; another board's child
    of the same name was disclosed too."""
    people = family(session)
    _group(session, people, "Groep 8a", people.child, people.namesake)
    _group(session, people, "Schaakclub", people.child)
    _group(session, people, "Koor-van-de-ander", people.namesake)
    _disclose(session, people.first, people.child, people.namesake, channel=Channel.ONEROSTER)
    _disclose(session, people.second, people.child, channel=Channel.UWLR)
    _disclose(session, people.first, people.namesake, channel=Channel.ONEROSTER)
    _result(session, people.first, people.child, "R-CHILD", 71)
    _result(session, people.first, people.namesake, "R-NAMESAKE", 42)
    exceptions.record_objection(
        session, people.board_id, people.second.provider.id, people.child.id, actor="a", at=T0
    )
    exceptions.record_objection(
        session, people.board_id, people.first.provider.id, people.namesake.id, actor="a", at=T0
    )
    exceptions.record_consent(
        session,
        people.board_id,
        people.first.provider.id,
        people.namesake.id,
        ConsentState.GIVEN,
        decided_by="guardian:someone-else",
        at=T0,
    )
    elsewhere = family(session)
    _disclose(session, elsewhere.first, elsewhere.child, channel=Channel.ONEROSTER)
    return people


class TestTheAccessExport:
    def test_it_holds_one_file_per_part_and_the_persons_roster_record(
        self, session: Session, people: Family
    ) -> None:
        files = _unzip(export.export_person(session, people.board_id, people.child.id, T0))
        assert set(files) == FILES
        person = files["person.json"]
        assert person["id"] == str(people.child.id)
        assert person["source_key"] == people.child.source_key
        assert person["birth_date"] == "2014-05-17"
        assert person["school"]["brin"] == people.first.school.brin

    def test_every_ledger_disclosure_of_the_person_is_in_it_and_no_other(
        self, session: Session, people: Family
    ) -> None:
        files = _unzip(export.export_person(session, people.board_id, people.child.id, T0))
        # The ledger's other view, per provider, names the people of every entry.
        expected = {
            str(entry.entry_id): entry
            for setup in (people.first, people.second)
            for entry in audit.disclosures_for_provider(session, people.board_id, setup.provider.id)
            if people.child.id in entry.person_ids
        }
        exported = {d["entry_id"]: d for d in files["disclosures.json"]}
        assert set(exported) == set(expected)
        assert len(exported) == 2
        for entry_id, entry in expected.items():
            shown = exported[entry_id]
            assert shown["provider_id"] == str(entry.provider_id)
            assert shown["connection_id"] == str(entry.connection_id)
            assert shown["channel"] == entry.channel.value
            assert shown["attributes"] == sorted(entry.attribute_ids or ())
            assert shown["when"] == entry.recorded_at.isoformat()
        by_channel = {d["channel"]: d for d in files["disclosures.json"]}
        assert by_channel["uwlr"]["provider"] == people.second.provider.name
        assert by_channel["uwlr"]["purpose"] == people.second.version.purpose_code

    def test_groups_exceptions_and_results_are_the_persons_own(
        self, session: Session, people: Family
    ) -> None:
        files = _unzip(export.export_person(session, people.board_id, people.child.id, T0))
        assert sorted(g["key"] for g in files["groups.json"]) == ["Groep 8a", "Schaakclub"]
        [objection] = files["exceptions.json"]["objections"]
        assert objection["provider"] == people.second.provider.name
        assert files["exceptions.json"]["consents"] == []
        [result] = files["results.json"]
        assert (result["result_key"], result["score"]) == ("R-CHILD", 71)

    def test_nothing_about_the_namesake_or_another_board_is_anywhere_in_it(
        self, session: Session, people: Family
    ) -> None:
        archive = export.export_person(session, people.board_id, people.child.id, T0)
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            text = "\n".join(opened.read(n).decode() for n in opened.namelist())
        for trace in (
            str(people.namesake.id),
            people.namesake.source_key,
            "2013-02-03",
            "other.sanne@school.example",
            "Koor-van-de-ander",
            "R-NAMESAKE",
            "someone-else",
            people.guardian.email or "",
        ):
            assert trace not in text
        assert people.child.source_key in text

    def test_the_summary_tells_a_parent_in_dutch_and_english_who_received_what(
        self, session: Session, people: Family
    ) -> None:
        page = _unzip(export.export_person(session, people.board_id, people.child.id, T0))[
            "samenvatting-summary.html"
        ]
        assert "Wie heeft gegevens ontvangen?" in page
        assert "Who received data?" in page
        assert "2 keer zijn gegevens doorgegeven" in page
        assert people.first.provider.name in page
        assert people.second.provider.name in page

    def test_another_boards_person_is_not_found(self, session: Session, people: Family) -> None:
        other = family(session)
        with pytest.raises(PersonNotFound):
            export.export_person(session, people.board_id, other.child.id, T0)
