"""The final-test rule of the pure engine against an independent statement of it, over random facts.

Whatever else the connection's scope says, a connection with the rule releases only students of
the rule's year group who were enrolled on the reference day; without the rule it changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from koppelvlak.release.engine import decide_person, group_in_scope
from koppelvlak.release.facts import ConnectionFacts, GroupFacts, PersonFacts
from koppelvlak.release.values import PersonKind
from tests.properties.test_engine import ON, SCHOOLS, YEARS, connections, people

REFERENCE = date(2026, 1, 15)
enrolment_days = st.one_of(st.none(), st.dates(date(2025, 6, 1), date(2026, 6, 1)))


def _participant(person: PersonFacts, year: str, on: date) -> bool:
    """The rule in other words: a student of that year group whose enrolment covers the day."""
    if person.kind is not PersonKind.STUDENT or person.year_group != year:
        return False
    if person.enrolled_from is not None and person.enrolled_from > on:
        return False
    return person.enrolled_until is None or person.enrolled_until >= on


class TestTheFinalTestRule:
    @given(connections, people, enrolment_days, enrolment_days, st.sampled_from(YEARS))
    def test_only_participants_are_released(
        self,
        connection: ConnectionFacts,
        person: PersonFacts,
        start: date | None,
        end: date | None,
        year: str,
    ) -> None:
        ruled = replace(connection, participants_year_group=year, participants_on=REFERENCE)
        enrolled = replace(person, enrolled_from=start, enrolled_until=end)
        decision = decide_person(ruled, enrolled, ON)
        if decision.released:
            assert _participant(enrolled, year, REFERENCE)
        # The rule only ever takes people out: a participant's decision is the one without it.
        if _participant(enrolled, year, REFERENCE):
            assert decision.reason == decide_person(connection, enrolled, ON).reason

    @given(connections, st.sampled_from(SCHOOLS), st.sampled_from([None, *YEARS]))
    def test_only_groups_of_the_year_group_are_released(
        self, connection: ConnectionFacts, school: uuid.UUID, year: str | None
    ) -> None:
        ruled = replace(connection, participants_year_group="8", participants_on=REFERENCE)
        group = GroupFacts(
            group_id=uuid.UUID(int=10), school_id=school, kind="class_group", year_group=year
        )
        if group_in_scope(ruled, group):
            assert year == "8"
            assert group_in_scope(connection, group)
