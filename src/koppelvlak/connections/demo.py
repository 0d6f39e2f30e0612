"""The four demo providers of ``koppelvlak demo``, each connected to the demo board.

- a reading app on licensed users only (pseudonym, given name, groups, year group);
- a final-test supplier for group 8 only, on a legal duty, with more attributes (and UWLR);
- a homework app on a consent-based purpose that includes the birth date;
- a learning environment with full rostering (students and staff with names and e-mail, classes
  with their kind, enrollments), so a OneRoster conformance run's rostering checks have data.

Credentials derive from the seed, so the same seed prints the same client ids and secrets:
they are predictable by design and only fit for demos (docs/admin/demo.md says so).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from koppelvlak.connections import scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import (
    AdminRole,
    ConsentState,
    LicenceSource,
    ParentalConsent,
    PersonKindColumn,
    ScopeKind,
    UwlrProfile,
)
from koppelvlak.kit.crypto import keyed_digest
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState, Provider
from koppelvlak.providers.schemas import Application, DatasetSpec, DatasetVersionView
from koppelvlak.roster.models import School, Student

_PRIMARY, _SECONDARY = ("99XX", "00"), ("99YY", "00")
_BATCH = 1_000


@dataclass(frozen=True)
class _Plan:
    slug: str
    name: str
    kvk: str
    app: str
    school: tuple[str, str]
    dataset: DatasetSpec
    scope_kind: ScopeKind = ScopeKind.WHOLE_SCHOOL
    year_groups: frozenset[str] = frozenset()
    licensed_only: bool = False
    uwlr_profile: UwlrProfile | None = None


PLANS = (
    _Plan(
        slug="leesland",
        name="Leesland B.V.",
        kvk="90000001",
        app="Leesland",
        school=_PRIMARY,
        dataset=DatasetSpec(
            attributes={
                "student.given_name": True,
                "student.groups": True,
                "student.year_group": True,
                "group.name": True,
            },
            purpose_code="learning_materials",
            entity_types=frozenset({"students", "groups"}),
            purpose_statement="Reading exercises at the child's level.",
        ),
        licensed_only=True,
    ),
    _Plan(
        slug="toetsbureau",
        name="Toetsbureau Doorstroom B.V.",
        kvk="90000002",
        app="Doorstroomtoets",
        school=_PRIMARY,
        dataset=DatasetSpec(
            attributes={
                "student.given_name": True,
                "student.family_name": True,
                "student.name_prefix": True,
                "student.initials": False,
                "student.birth_date": True,
                "student.sex": True,
                "student.year_group": True,
                "student.eckid": True,
                "student.source_key": True,
                "student.groups": True,
                "group.name": True,
                "group.year_group": True,
            },
            purpose_code="final_test",
            entity_types=frozenset({"students", "groups"}),
            purpose_statement="Administering the final test of group 8 (Wet doorstroomtoetsen).",
        ),
        scope_kind=ScopeKind.YEAR_GROUPS,
        year_groups=frozenset({"8"}),
        uwlr_profile=UwlrProfile.SMALLE_SET,
    ),
    _Plan(
        slug="huiswerkhulp",
        name="HuiswerkHulp B.V.",
        kvk="90000003",
        app="HuiswerkHulp",
        school=_SECONDARY,
        dataset=DatasetSpec(
            attributes={
                "student.given_name": True,
                "student.birth_date": True,
                "student.year_group": True,
                "student.email": False,
            },
            purpose_code="homework_support",
            entity_types=frozenset({"students"}),
            purpose_statement="Homework planning and help outside lessons, with consent.",
        ),
    ),
    _Plan(
        slug="klaslokaal",
        name="Klaslokaal B.V.",
        kvk="90000004",
        app="Klaslokaal",
        school=_SECONDARY,
        dataset=DatasetSpec(
            attributes={
                "student.given_name": True,
                "student.name_prefix": True,
                "student.family_name": True,
                "student.email": True,
                "student.username": True,
                "student.year_group": True,
                "student.groups": True,
                "staff.given_name": True,
                "staff.name_prefix": True,
                "staff.family_name": True,
                "staff.email": True,
                "staff.username": True,
                "staff.role": False,
                "staff.groups": True,
                "group.name": True,
                "group.year_group": True,
                "group.kind": True,
            },
            purpose_code="learning_materials",
            entity_types=frozenset({"students", "staff", "groups"}),
            purpose_statement="Learning environment: accounts, classes and assignments per group.",
        ),
    ),
)


@dataclass(frozen=True)
class DemoProvider:
    name: str
    app: str
    client_id: str
    client_secret: str
    klantcode: str
    autorisatiesleutel: str
    school: tuple[str, str]
    dataset: DatasetVersionView
    connection_id: uuid.UUID

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "app": self.app,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "uwlr": {"klantcode": self.klantcode, "autorisatiesleutel": self.autorisatiesleutel},
            "schools": [{"brin": self.school[0], "location": self.school[1]}],
            "dataset": {
                "version": self.dataset.version,
                "purpose": self.dataset.purpose_code,
                "lawful_basis": self.dataset.lawful_basis.value,
                "attributes": sorted(self.dataset.attributes),
            },
        }


@dataclass(frozen=True)
class DemoAdmin:
    board_code: str
    admin_token: str
    dpo_token: str

    def as_dict(self) -> dict[str, object]:
        return {
            "board": self.board_code,
            "token": self.admin_token,
            "role": "admin",
            "dpo_token": self.dpo_token,
        }


def _derived(seed: int, *parts: str) -> str:
    """A predictable demo secret: the same seed always gives the same value."""
    return keyed_digest(f"koppelvlak-demo-{seed}".encode(), *parts)[:40]


def remove_demo_providers(session: Session) -> None:
    """Delete the demo organisations (their apps, datasets and credentials go with them)."""
    session.execute(delete(Provider).where(Provider.kvk_number.in_([p.kvk for p in PLANS])))
    session.flush()


def create_demo_admin(
    session: Session, board_id: uuid.UUID, board_code: str, *, seed: int, at: datetime
) -> DemoAdmin:
    admin = create_token(
        session,
        board_id,
        AdminRole.ADMIN,
        label="demo-admin",
        at=at,
        secret=_derived(seed, "admin"),
    )
    dpo = create_token(
        session, board_id, AdminRole.DPO, label="demo-dpo", at=at, secret=_derived(seed, "dpo")
    )
    return DemoAdmin(board_code, admin.token, dpo.token)


def create_demo_providers(
    session: Session, board_id: uuid.UUID, *, seed: int, at: datetime
) -> list[DemoProvider]:
    """Create, accredit and connect the three demo providers (flushes, never commits)."""
    remove_demo_providers(session)
    created = []
    for index, plan in enumerate(PLANS):
        school = session.scalar(
            select(School).where(
                School.board_id == board_id,
                School.brin == plan.school[0],
                School.location_code == plan.school[1],
            )
        )
        if school is None:
            continue
        created.append(_create(session, board_id, school, plan, index, seed=seed, at=at))
    return created


def _create(
    session: Session,
    board_id: uuid.UUID,
    school: School,
    plan: _Plan,
    index: int,
    *,
    seed: int,
    at: datetime,
) -> DemoProvider:
    provider = providers.apply(
        session,
        Application(
            name=plan.name,
            kvk_number=plan.kvk,
            contact_email=f"contact@{plan.slug}.example",
            security_contact_email=f"security@{plan.slug}.example",
            privacy_statement_url=f"https://{plan.slug}.example/privacy",
            covenant_signed_on=date(2025, 1, 15),
            processing_agreement_on=date(2025, 2, 1),
            processing_agreement_version="Model 4.0",
        ),
        at,
    )
    providers.accredit(
        session, provider.id, AccreditationState.ACCREDITED, actor="operator:demo", at=at
    )
    app = providers.add_app(session, provider.id, plan.app)
    version = providers.add_dataset_version(
        session, app.id, plan.dataset, actor=f"provider:{plan.slug}", at=at
    )
    credential = providers.create_credential(
        session,
        provider.id,
        at,
        label="demo",
        client_id=f"demo-{plan.slug}",
        client_secret=_derived(seed, "client", plan.slug),
    )
    uwlr = providers.create_uwlr_key(
        session,
        provider.id,
        board_id,
        [plan.school],
        at,
        klantcode=f"DEMO{index + 1:02d}",
        autorisatiesleutel=_derived(seed, "uwlr", plan.slug),
    )
    connection = connections.request(
        session,
        board_id=board_id,
        school_id=school.id,
        app_id=app.id,
        actor="admin:demo",
        at=at,
        uwlr_profile=plan.uwlr_profile,
    )
    if plan.scope_kind is not ScopeKind.WHOLE_SCHOOL or plan.licensed_only:
        scope.set_scope(
            session,
            board_id,
            connection.id,
            kind=plan.scope_kind,
            year_groups=plan.year_groups,
            licensed_only=plan.licensed_only,
            actor="admin:demo",
            at=at,
        )
    if version.sensitive:
        connections.sign_off(session, board_id, connection.id, actor="dpo:demo", at=at)
    connections.approve(session, board_id, connection.id, actor="admin:demo", at=at)
    if plan.licensed_only:
        _license_lower_groups(session, board_id, school.id, connection.id, at=at)
    if plan.dataset.purpose_code == "homework_support":
        _some_consents(session, board_id, school.id, provider.id, seed=seed, at=at)
    return DemoProvider(
        name=plan.name,
        app=plan.app,
        client_id=credential.client_id,
        client_secret=credential.client_secret,
        klantcode=uwlr.klantcode,
        autorisatiesleutel=uwlr.autorisatiesleutel,
        school=plan.school,
        dataset=version,
        connection_id=connection.id,
    )


def _license_lower_groups(
    session: Session,
    board_id: uuid.UUID,
    school_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    at: datetime,
) -> None:
    """The school bought the reading app for groups 3 to 5."""
    keys = list(
        session.scalars(
            select(Student.source_key)
            .where(
                Student.board_id == board_id,
                Student.school_id == school_id,
                Student.year_group.in_(["3", "4", "5"]),
                Student.removed_at.is_(None),
            )
            .order_by(Student.source_key)
        )
    )
    for start in range(0, len(keys), _BATCH):
        scope.add_licences(
            session,
            board_id,
            connection_id,
            kind=PersonKindColumn.STUDENT,
            keys=keys[start : start + _BATCH],
            source=LicenceSource.SCHOOL,
            actor="admin:demo",
            at=at,
        )


def _some_consents(
    session: Session,
    board_id: uuid.UUID,
    school_id: uuid.UUID,
    provider_id: uuid.UUID,
    *,
    seed: int,
    at: datetime,
) -> None:
    """Parents of about half the students gave consent; persona V1001 (Noël) has none."""
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    students = session.execute(
        select(Student.id, Student.source_key)
        .where(Student.board_id == board_id, Student.school_id == school_id)
        .order_by(Student.source_key)
    ).all()
    rows = [
        {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "board_id": board_id,
            "provider_id": provider_id,
            "student_id": student_id,
            "state": ConsentState.GIVEN,
            "decided_by": "guardian:demo",
            "decided_at": at,
        }
        for student_id, source_key in students
        if rng.random() < 0.5 and source_key != "V1001"
    ]
    # One bulk insert: the demo may write many rows; a real consent goes through
    # exceptions.record_consent one decision at a time.
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(ParentalConsent), rows[start : start + _BATCH])
