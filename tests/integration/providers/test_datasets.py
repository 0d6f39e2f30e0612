"""Datasets: validated against the catalogue, versioned, and compared version to version."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.catalogue.errors import NeverShareable, UnknownAttribute, UnknownPurpose
from koppelvlak.providers import service as providers
from koppelvlak.providers.errors import InvalidDataset
from koppelvlak.providers.models import DatasetVersion
from koppelvlak.providers.schemas import DatasetSpec
from tests.factories.providers import T0, accredited_provider, spec


def _app(session: Session) -> uuid.UUID:
    provider = accredited_provider(session)
    return providers.add_app(session, provider.id, "Rekenen").id


def _versions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DatasetVersion)) or 0


class TestBadDatasets:
    @pytest.mark.parametrize(
        ("attributes", "entity_types", "error", "text"),
        [
            (
                {"student.shoe_size": True, "student.given_name": True},
                {"students"},
                UnknownAttribute,
                "unknown attribute(s): student.shoe_size",
            ),
            (
                {"student.bsn": True},
                {"students"},
                NeverShareable,
                "attribute(s) never shareable: student.bsn",
            ),
            (
                {"staff.email": True},
                {"students"},
                InvalidDataset,
                "attribute staff.email needs entity type staff",
            ),
            (
                {"student.groups": True},
                {"students"},
                InvalidDataset,
                "attribute student.groups needs entity type groups",
            ),
            ({}, {"students"}, InvalidDataset, "a dataset must name at least one attribute"),
            (
                {"student.given_name": True},
                {"pupils"},
                InvalidDataset,
                "unknown entity type(s): pupils; use students, staff or groups",
            ),
        ],
    )
    def test_it_is_refused_with_a_clear_error_and_nothing_is_written(
        self,
        session: Session,
        attributes: dict[str, bool],
        entity_types: set[str],
        error: type[Exception],
        text: str,
    ) -> None:
        app_id = _app(session)
        before = _versions(session)
        with pytest.raises(error) as raised:
            providers.add_dataset_version(
                session,
                app_id,
                DatasetSpec(
                    attributes=attributes,
                    purpose_code="learning_materials",
                    entity_types=frozenset(entity_types),
                ),
                actor="p",
                at=T0,
            )
        assert str(raised.value) == text
        assert _versions(session) == before

    def test_an_unknown_purpose_is_refused(self, session: Session) -> None:
        app_id = _app(session)
        with pytest.raises(UnknownPurpose) as raised:
            providers.add_dataset_version(
                session,
                app_id,
                spec(purpose="marketing"),
                actor="p",
                at=T0,
            )
        assert str(raised.value) == "unknown purpose 'marketing'"


class TestVersions:
    def test_each_change_makes_a_new_version_and_the_diff_names_it(self, session: Session) -> None:
        app_id = _app(session)
        v1 = providers.add_dataset_version(session, app_id, spec(), actor="p", at=T0)
        v2 = providers.add_dataset_version(
            session,
            app_id,
            spec(
                {
                    "student.given_name": True,
                    "student.year_group": True,
                    "student.birth_date": False,
                }
            ),
            actor="p",
            at=T0,
        )
        assert (v1.version, v2.version) == (1, 2)
        assert v2.sensitive
        assert not v1.sensitive
        diff = providers.diff_versions(v1, v2)
        assert diff.added == ("student.birth_date",)
        assert diff.now_required == ("student.year_group",)
        assert diff.widens
        assert not providers.diff_versions(v2, v1).widens

    def test_an_unchanged_dataset_is_not_a_new_version(self, session: Session) -> None:
        app_id = _app(session)
        providers.add_dataset_version(session, app_id, spec(), actor="p", at=T0)
        with pytest.raises(InvalidDataset) as raised:
            providers.add_dataset_version(session, app_id, spec(), actor="p", at=T0)
        assert str(raised.value) == "version 1 is the same; nothing changed"
