"""Providers and apps are found by id, name (any case), slug or KvK number; several fits are
refused with each candidate and its id."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from koppelvlak.errors import Ambiguous
from koppelvlak.providers import service as providers
from koppelvlak.providers.errors import AppNotFound, ProviderNotFound
from koppelvlak.providers.lookup import find_app, find_provider, slug
from tests.factories.providers import accredited_provider


class TestSlug:
    def test_a_name_becomes_lower_case_words_joined_by_hyphens(self) -> None:
        assert slug("Toetsbureau Doorstroom B.V.") == "toetsbureau-doorstroom-b-v"


class TestFindProvider:
    @pytest.mark.parametrize(
        "typed", ["Leesland B.V.", "leesland b.v.", "leesland-b-v", "12345678"]
    )
    def test_name_slug_or_kvk_finds_the_provider(self, session: Session, typed: str) -> None:
        provider = accredited_provider(session, name="Leesland B.V.", kvk_number="12345678")
        assert find_provider(session, typed).id == provider.id
        assert find_provider(session, str(provider.id)).id == provider.id

    def test_an_unknown_name_points_to_the_list(self, session: Session) -> None:
        with pytest.raises(ProviderNotFound) as raised:
            find_provider(session, "Nobody")
        assert str(raised.value) == (
            "no provider with id, name, slug or KvK number 'Nobody'; "
            "'koppelvlak provider list' shows them"
        )

    def test_two_names_with_one_slug_are_listed(self, session: Session) -> None:
        first = accredited_provider(session, name="Lees Land")
        second = accredited_provider(session, name="Lees-Land")
        with pytest.raises(Ambiguous) as raised:
            find_provider(session, "lees-land")
        assert str(raised.value) == (
            f"'lees-land' fits 2 providers: Lees Land ({first.id}), Lees-Land ({second.id}); "
            "give the id"
        )


class TestFindApp:
    def test_an_app_name_shared_by_two_providers_is_refused_then_found_as_provider_slash_app(
        self, session: Session
    ) -> None:
        first = accredited_provider(session, name="Alpha B.V.")
        second = accredited_provider(session, name="Beta B.V.")
        a = providers.add_app(session, first.id, "Rekenen")
        b = providers.add_app(session, second.id, "Rekenen")
        with pytest.raises(Ambiguous) as raised:
            find_app(session, "rekenen")
        assert str(raised.value) == (
            f"'rekenen' fits 2 apps: Rekenen of Alpha B.V. ({a.id}), Rekenen of Beta B.V. "
            f"({b.id}); give the id"
        )
        assert find_app(session, "beta-b-v/rekenen").id == b.id
        assert find_app(session, str(a.id)).id == a.id

    def test_an_unknown_app_points_to_the_list(self, session: Session) -> None:
        with pytest.raises(AppNotFound) as raised:
            find_app(session, "Nope")
        assert str(raised.value) == (
            "no app with id, name or slug 'Nope'; 'koppelvlak provider list' shows them"
        )
