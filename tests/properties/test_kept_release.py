"""The kept release under random sequences of changes: never stale, and every delta exact.

A hypothesis state machine imports a school's roster again and again (names, year groups,
birth dates, group moves, arrivals, departures), changes the connection's scope, dataset,
state and end date, records consents, objections and licences, and lets days pass (the
scheduled refresh). After every step, for the connection: the kept release equals a fresh
``resolve`` (``kept.check``), and for every earlier step, the objects whose
``dateLastModified`` lies after it are exactly those whose visible state changed at some step
since — read straight from the store and through every OneRoster collection and nested route.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.api.oneroster.collections import ENDPOINTS, Endpoint
from koppelvlak.api.oneroster.pages import collection as read_collection
from koppelvlak.api.oneroster.params import parse_collection
from koppelvlak.connections import exceptions, flows, scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.errors import (
    DpoSignOffRequired,
    InvalidException,
    InvalidLicence,
    InvalidScope,
    InvalidTransition,
)
from koppelvlak.connections.models import ConsentState, LicenceSource, PersonKindColumn, ScopeKind
from koppelvlak.kit import changes
from koppelvlak.kit.clock import as_utc
from koppelvlak.providers.errors import InvalidDataset
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.release import kept, kept_reads
from koppelvlak.release.models import KeptObject
from koppelvlak.release.oneroster_formatting import timestamp
from koppelvlak.roster import service as roster
from koppelvlak.roster.importers.snapshot import (
    GroupRecord,
    Mode,
    Part,
    SchoolSnapshot,
    Snapshot,
    StaffLink,
    StaffRecord,
    StudentLink,
    StudentRecord,
)
from koppelvlak.roster.models import Group, Student
from tests.factories.providers import T0, board_with_school, connected

KEY = b"kept-release-state-machine-key-0123"
YEARS = ("3", "5", "8")
NAMES = ("Anna", "Bram", "Cees", "Daan", "Eva", "Fleur", "Gijs")
ATTRIBUTES = {
    "student.given_name": True,
    "student.family_name": False,
    "student.birth_date": False,
    "student.year_group": False,
    "student.groups": True,
    "staff.given_name": True,
    "staff.groups": True,
    "group.name": True,
    "group.year_group": False,
}
# (status, body without its stamp, values UWLR renders) or absent: what the provider can see.
Cell = tuple[str, str, str | None] | None


@dataclass
class Pupil:
    given_name: str
    year: str
    birth_date: date
    groups: set[int] = field(default_factory=set)


def _snapshot(school_brin: str, location: str, pupils: dict[str, Pupil]) -> Snapshot:
    replace_all = Mode.REPLACE
    groups = tuple(
        GroupRecord(key=f"G{i}", kind="class_group", name=f"Groep {y}", year_group=y)
        for i, y in enumerate(YEARS)
    )
    students = tuple(
        StudentRecord(
            key=k,
            given_name=p.given_name,
            family_name="Jansen",
            birth_date=p.birth_date,
            year_group=p.year,
        )
        for k, p in sorted(pupils.items())
    )
    links = tuple(
        StudentLink(student_key=k, group_key=f"G{g}")
        for k, p in sorted(pupils.items())
        for g in sorted(p.groups)
    )
    staff = (
        StaffRecord(key="T1", given_name="Juf Ans"),
        StaffRecord(key="T2", given_name="Meester Bob"),
    )
    staff_links = (StaffLink("T1", "G0"), StaffLink("T2", "G2"))
    school = SchoolSnapshot(
        brin=school_brin,
        location_code=location,
        sector="PO",
        groups=Part(replace_all, groups),
        students=Part(replace_all, students),
        staff=Part(replace_all, staff),
        student_links=Part(replace_all, links),
        staff_links=Part(replace_all, staff_links),
    )
    return Snapshot(source_kind="uwlr", source="state-machine", schools=(school,))


def _cells(session: Session, connection_id: uuid.UUID) -> dict[tuple[str, str], Cell]:
    rows = session.execute(
        select(
            KeptObject.collection,
            KeptObject.key,
            KeptObject.status,
            KeptObject.body,
            KeptObject.values,
        ).where(KeptObject.connection_id == connection_id)
    )
    found: dict[tuple[str, str], Cell] = {}
    for collection, key, status, body, values in rows:
        record = json.loads(body)
        record.pop("dateLastModified")
        found[(collection, key)] = (status, json.dumps(record, sort_keys=True), values)
    return found


def _modified_after(
    session: Session, connection_id: uuid.UUID, moment: datetime
) -> set[tuple[str, str]]:
    rows = session.execute(
        select(KeptObject.collection, KeptObject.key, KeptObject.modified_at).where(
            KeptObject.connection_id == connection_id
        )
    )
    return {(c, k) for c, k, m in rows if as_utc(m) > moment}


class KeptReleaseMachine(RuleBasedStateMachine):
    session: Session  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.clock = T0
        self.history: list[tuple[datetime, dict[tuple[str, str], Cell]]] = []
        self.pupils: dict[str, Pupil] = {}
        self.terminal = False

    # set-up ----------------------------------------------------------------------------------
    @initialize(
        pupils=st.lists(
            st.tuples(
                st.sampled_from(NAMES),
                st.sampled_from(YEARS),
                st.integers(-3, 3),
                st.frozensets(st.integers(0, 2), max_size=2),
            ),
            min_size=1,
            max_size=5,
        ),
        consent_based=st.booleans(),
    )
    def build(
        self, pupils: list[tuple[str, str, int, frozenset[int]]], consent_based: bool
    ) -> None:
        session = self.session
        self.savepoint = session.begin_nested()  # each example starts from the same database
        self.board, self.school = board_with_school(session)
        for index, (name, year, days, groups) in enumerate(pupils):
            # Born around the day they turn 16, so letting days pass crosses the consent age.
            birth = date(T0.year - 16, T0.month, T0.day) + timedelta(days=days)
            self.pupils[f"S{index}"] = Pupil(name, year, birth, set(groups))
        self._import()
        dataset = DatasetSpec(
            attributes=ATTRIBUTES,
            purpose_code="homework_support" if consent_based else "learning_materials",
            entity_types=frozenset({"students", "staff", "groups"}),
        )
        self.setup = connected(
            session, dataset, board=self.board, school=self.school, at=self._tick()
        )
        self._settle()

    # helpers ---------------------------------------------------------------------------------
    def _tick(self, by: timedelta = timedelta(minutes=1)) -> datetime:
        self.clock += by
        return self.clock

    def _import(self) -> None:
        roster.apply_snapshot(
            self.session,
            _snapshot(self.school.brin, self.school.location_code, self.pupils),
            board_code=self.board.code,
            today=self.clock.date(),
            at=self._tick(),
        )

    def _settle(self) -> None:
        kept.settle(self.session, KEY)
        self.history.append((self.clock, _cells(self.session, self.setup.connection.id)))

    def _student_id(self, key: str) -> uuid.UUID | None:
        return self.session.scalar(
            select(Student.id).where(
                Student.board_id == self.board.id,
                Student.source_key == key,
                Student.removed_at.is_(None),
            )
        )

    # roster imports --------------------------------------------------------------------------
    @rule(data=st.data())
    def import_a_change(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.pupils)))
        pupil = self.pupils[key]
        what = data.draw(st.sampled_from(["name", "year", "birth", "groups", "arrive", "leave"]))
        if what == "name":
            pupil.given_name = data.draw(st.sampled_from(NAMES))
        elif what == "year":
            pupil.year = data.draw(st.sampled_from(YEARS))
        elif what == "birth":
            pupil.birth_date += timedelta(days=data.draw(st.integers(-2, 2)))
        elif what == "groups":
            pupil.groups = set(data.draw(st.frozensets(st.integers(0, 2), max_size=2)))
        elif what == "arrive":
            self.pupils[f"S{len(self.pupils) + 10}"] = replace(pupil, groups=set(pupil.groups))
        elif len(self.pupils) > 1:
            del self.pupils[key]
        self._import()
        self._settle()

    # the school's choices --------------------------------------------------------------------
    @rule(kind=st.sampled_from(list(ScopeKind)), licensed=st.booleans(), data=st.data())
    def change_scope(self, kind: ScopeKind, licensed: bool, data: st.DataObject) -> None:
        groups = self.session.scalars(
            select(Group.id).where(Group.school_id == self.school.id).order_by(Group.source_key)
        ).all()
        try:
            scope.set_scope(
                self.session,
                self.board.id,
                self.setup.connection.id,
                kind=kind,
                group_ids=frozenset(
                    groups[i] for i in data.draw(st.sets(st.integers(0, 2), min_size=1))
                )
                if kind is ScopeKind.GROUPS
                else frozenset(),
                year_groups=frozenset(data.draw(st.sets(st.sampled_from(YEARS), min_size=1)))
                if kind is ScopeKind.YEAR_GROUPS
                else frozenset(),
                licensed_only=licensed,
                actor="admin:machine",
                at=self._tick(),
            )
        except (InvalidTransition, InvalidScope):
            assert self.terminal
        self._settle()

    @rule(data=st.data())
    def licence(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.pupils)))
        student_id = self._student_id(key)
        at = self._tick()
        try:
            if data.draw(st.booleans()) or student_id is None:
                scope.add_licences(
                    self.session,
                    self.board.id,
                    self.setup.connection.id,
                    kind=PersonKindColumn.STUDENT,
                    keys=[key],
                    source=LicenceSource.SCHOOL,
                    actor="admin:machine",
                    at=at,
                )
            else:
                scope.remove_licences(
                    self.session,
                    self.board.id,
                    self.setup.connection.id,
                    person_ids=frozenset({student_id}),
                    actor="admin:machine",
                    at=at,
                )
        except (InvalidLicence, InvalidTransition):
            pass  # outside the outer scope, or the connection ended: refused, nothing changed
        self._settle()

    @rule(narrow=st.booleans())
    def new_dataset_version(self, narrow: bool) -> None:
        attributes = dict(ATTRIBUTES)
        if narrow:
            attributes.pop("student.family_name")
            attributes.pop("group.year_group")
        else:
            attributes["student.family_name"] = True
        spec = DatasetSpec(
            attributes=attributes,
            purpose_code="learning_materials",
            entity_types=frozenset({"students", "staff", "groups"}),
        )
        at = self._tick()
        try:
            _version, outcomes = flows.propose_dataset_version(
                self.session, self.setup.app_id, spec, actor="provider", at=at
            )
            if any(o.outcome == "pending" for o in outcomes):
                flows.approve_version(
                    self.session, self.board.id, self.setup.connection.id, actor="admin", at=at
                )
        except (InvalidDataset, DpoSignOffRequired, InvalidTransition):
            pass  # the same version again, a widening that waits for the DPO, or the end
        self._settle()

    @rule(action=st.sampled_from(["suspend", "resume", "end_tomorrow", "revoke"]))
    def change_state(self, action: str) -> None:
        board_id, connection_id, at = self.board.id, self.setup.connection.id, self._tick()
        try:
            if action == "suspend":
                connections.suspend(
                    self.session, board_id, connection_id, actor="a", at=at, reason="r"
                )
            elif action == "resume":
                connections.resume(self.session, board_id, connection_id, actor="a", at=at)
            elif action == "end_tomorrow":
                connections.set_end(
                    self.session, board_id, connection_id, at + timedelta(days=1), actor="a", at=at
                )
            else:
                connections.revoke(
                    self.session, board_id, connection_id, actor="a", at=at, reason="r"
                )
                self.terminal = True
        except InvalidTransition:
            pass
        self._settle()

    # people's exceptions ---------------------------------------------------------------------
    @rule(data=st.data(), decision=st.sampled_from(list(ConsentState)))
    def parental_consent(self, data: st.DataObject, decision: ConsentState) -> None:
        student_id = self._student_id(data.draw(st.sampled_from(sorted(self.pupils))))
        if student_id is not None:
            with contextlib.suppress(InvalidException):  # withdrawing what was never given
                exceptions.record_consent(
                    self.session,
                    self.board.id,
                    self.setup.provider.id,
                    student_id,
                    decision,
                    decided_by="ouder",
                    at=self._tick(),
                )
        self._settle()

    @rule(data=st.data())
    def objection(self, data: st.DataObject) -> None:
        student_id = self._student_id(data.draw(st.sampled_from(sorted(self.pupils))))
        if student_id is not None:
            board_id, provider_id, at = self.board.id, self.setup.provider.id, self._tick()
            try:
                exceptions.lift_objection(
                    self.session, board_id, provider_id, student_id, actor="a", at=at
                )
            except InvalidException:
                exceptions.record_objection(
                    self.session, board_id, provider_id, student_id, actor="a", at=at
                )
        self._settle()

    # the calendar ----------------------------------------------------------------------------
    @rule(days=st.integers(1, 2))
    def days_pass(self, days: int) -> None:
        """The scheduled refresh: ages, end dates."""
        kept.refresh_all(self.session, self._tick(timedelta(days=days)), KEY, self.board.id)
        self._settle()

    def teardown(self) -> None:
        changes.take(self.session)  # notes of a failed step must not reach the next example
        if hasattr(self, "savepoint"):
            self.savepoint.rollback()

    # what must hold ----------------------------------------------------------------------------
    @invariant()
    def the_kept_release_equals_a_fresh_resolve(self) -> None:
        if not self.history:
            return
        assert kept.check(self.session, self.clock, KEY, self.board.id) == []

    @invariant()
    def every_delta_reports_exactly_what_changed(self) -> None:
        connection_id = self.setup.connection.id if self.history else None
        if connection_id is None:
            return
        for index, (moment, _then) in enumerate(self.history[:-1]):
            changed: set[tuple[str, str]] = set()
            for (_m0, before), (_m1, after) in zip(
                self.history[index:], self.history[index + 1 :], strict=False
            ):
                changed |= {
                    ck for ck in before.keys() | after.keys() if before.get(ck) != after.get(ck)
                }
            assert _modified_after(self.session, connection_id, moment) == changed, moment
            self._through_the_api(connection_id, moment, changed)

    def _through_the_api(
        self, connection_id: uuid.UUID, moment: datetime, changed: set[tuple[str, str]]
    ) -> None:
        if (
            self.terminal
            or connections.view(self.session, self.setup.connection, self.clock).state != "active"
        ):
            return  # the API answers 403; the kept rows above still hold the tombstones
        query = parse_collection(
            {"filter": f"dateLastModified>'{timestamp(moment)}'", "limit": "1000"},
            frozenset({"dateLastModified", "status", "sourcedId"}),
        )
        for endpoint in ENDPOINTS:
            if endpoint.single:
                continue
            for path_params in self._parents(endpoint):
                heads = kept_reads.heads(self.session, [connection_id])
                found = read_collection(self.session, heads, endpoint, path_params, query)
                keys = {json.loads(r)["sourcedId"] for r in found.records}
                assert keys == self._expected(endpoint, path_params, changed), endpoint.path

    def _expected(
        self, endpoint: Endpoint, path_params: dict[str, str], changed: set[tuple[str, str]]
    ) -> set[str]:
        """The changed objects of the route's collection and kinds, linked to its parents."""
        stored = {
            (c, k): (kind, set(json.loads(links)))
            for c, k, kind, links in self.session.execute(
                select(
                    KeptObject.collection, KeptObject.key, KeptObject.kind, KeptObject.links
                ).where(KeptObject.connection_id == self.setup.connection.id)
            )
        }
        records = endpoint.records
        wanted = set()
        for collection, key in changed:
            if collection != records.collection or (collection, key) not in stored:
                continue
            kind, links = stored[(collection, key)]
            if records.kinds is not None and kind not in records.kinds:
                continue
            parents_ok = all(
                path_params[name] in links
                or key in stored.get((parent.collection, path_params[name]), ("", set()))[1]
                for name, parent in endpoint.parents
            )
            if parents_ok:
                wanted.add(key)
        return wanted

    def _parents(self, endpoint: Endpoint) -> list[dict[str, str]]:
        """Every combination of parent sourcedIds the kept release holds for a nested route."""
        options: list[dict[str, str]] = [{}]
        for name, records in endpoint.parents:
            keys = [
                key
                for key, kind in self.session.execute(
                    select(KeptObject.key, KeptObject.kind).where(
                        KeptObject.connection_id == self.setup.connection.id,
                        KeptObject.collection == records.collection,
                    )
                )
                if records.kinds is None or kind in records.kinds
            ]
            options = [{**o, name: k} for o in options for k in keys]
        return options[:6]


@pytest.mark.slow
def test_the_kept_release_follows_every_change_and_every_delta_is_exact(session: Session) -> None:
    KeptReleaseMachine.session = session
    machine = KeptReleaseMachine.TestCase
    machine.settings = settings(
        max_examples=10, stateful_step_count=8, deadline=None, parent=settings.get_profile("ci")
    )
    machine().runTest()
