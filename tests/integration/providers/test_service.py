"""Provider applications and the operator's accreditation decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.providers import service as providers
from koppelvlak.providers.errors import DuplicateProvider, InvalidAccreditation, InvalidApplication
from koppelvlak.providers.models import AccreditationDecision, AccreditationState
from tests.factories.providers import T0, ApplicationFactory

S = AccreditationState


class TestApplication:
    @pytest.mark.parametrize(
        ("fields", "text"),
        [
            ({"kvk_number": "1234"}, "KvK number '1234' must be 8 digits"),
            ({"oin": "12"}, "OIN '12' must be 20 digits"),
            ({"contact_email": "nobody"}, "contact e-mail 'nobody' is not an e-mail address"),
            (
                {"privacy_statement_url": "http://x.example/privacy"},
                "privacy statement address must start with https://",
            ),
        ],
    )
    def test_bad_fields_are_refused_by_name(
        self, session: Session, fields: dict[str, str], text: str
    ) -> None:
        with pytest.raises(InvalidApplication) as raised:
            providers.apply(session, ApplicationFactory(**fields), T0)
        assert str(raised.value) == text

    def test_a_kvk_number_applies_once(self, session: Session) -> None:
        providers.apply(session, ApplicationFactory(kvk_number="55555555"), T0)
        with pytest.raises(DuplicateProvider) as raised:
            providers.apply(session, ApplicationFactory(kvk_number="55555555"), T0)
        assert str(raised.value) == (
            "a provider with KvK number 55555555 has applied already; it completes its "
            "application (such as the agreement dates) with its credential instead of applying "
            "again"
        )


class TestAccreditation:
    def test_it_needs_the_covenant_and_processing_agreement(self, session: Session) -> None:
        provider = providers.apply(session, ApplicationFactory(unsigned=True), T0)
        with pytest.raises(InvalidAccreditation) as raised:
            providers.accredit(session, provider.id, S.ACCREDITED, actor="op", at=T0)
        assert str(raised.value) == (
            "accreditation needs the privacy covenant and the processing agreement signed"
        )

    def test_every_decision_is_recorded_with_who_when_and_why(self, session: Session) -> None:
        provider = providers.apply(session, ApplicationFactory(), T0)
        providers.accredit(session, provider.id, S.ACCREDITED, actor="op:ann", at=T0)
        providers.accredit(
            session, provider.id, S.SUSPENDED, actor="op:bob", at=T0, reason="data breach"
        )
        rows = session.execute(
            select(
                AccreditationDecision.state,
                AccreditationDecision.decided_by,
                AccreditationDecision.reason,
            )
            .where(AccreditationDecision.provider_id == provider.id)
            .order_by(AccreditationDecision.decided_by)
        ).all()
        assert [tuple(r) for r in rows] == [
            (S.ACCREDITED, "op:ann", None),
            (S.SUSPENDED, "op:bob", "data breach"),
        ]

    def test_a_withdrawn_provider_cannot_come_back(self, session: Session) -> None:
        provider = providers.apply(session, ApplicationFactory(), T0)
        providers.accredit(session, provider.id, S.WITHDRAWN, actor="op", at=T0, reason="gone")
        with pytest.raises(InvalidAccreditation) as raised:
            providers.accredit(session, provider.id, S.ACCREDITED, actor="op", at=T0)
        assert str(raised.value) == "a provider that is withdrawn cannot become accredited"
