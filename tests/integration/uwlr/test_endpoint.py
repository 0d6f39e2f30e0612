"""The UWLR operations in process, on both databases: which connection a request reaches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.api.uwlr.endpoint import Context, dispatch
from koppelvlak.api.uwlr.envelope import parse_request
from koppelvlak.api.uwlr.faults import FaultCode, UwlrFault
from koppelvlak.providers import service as providers
from tests.factories.providers import T0, connected
from tests.support.uwlr import AUT_NS, FILES, LG_NS, soap_payload

KEY = "E" * 88


def _request(brin: str, dataset_id: str | None = None) -> bytes:
    extra = f"<l:gegevenssetid>{dataset_id}</l:gegevenssetid>" if dataset_id else ""
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:a="{AUT_NS}" xmlns:l="{LG_NS}"><s:Header><a:autorisatie>'
        f"<a:autorisatiesleutel>{KEY}</a:autorisatiesleutel><a:klantcode>TWO-APPS</a:klantcode>"
        "<a:klantnaam>Twee apps</a:klantnaam></a:autorisatie></s:Header><s:Body>"
        "<l:leerlinggegevens_verzoek><l:schooljaar>2025-2026</l:schooljaar>"
        f"<l:brincode>{brin}</l:brincode><l:xsdversie>2.2</l:xsdversie>{extra}"
        "</l:leerlinggegevens_verzoek></s:Body></s:Envelope>"
    ).encode()


def _context() -> Context:
    return Context(
        files=FILES, pseudonym_key=b"p" * 32, digital_consent_age=16, at=T0 + timedelta(days=1)
    )


@pytest.fixture
def two_apps(session: Session) -> tuple[str, str, str]:
    """One provider, two apps, both connected (active) to the same school, one key."""
    first = connected(session)
    second = connected(session, board=first.board, school=first.school, provider=first.provider)
    providers.create_uwlr_key(
        session,
        first.provider.id,
        first.board.id,
        [(first.school.brin, first.school.location_code)],
        T0,
        klantcode="TWO-APPS",
        autorisatiesleutel=KEY,
    )
    names = sorted(providers.app_of(session, s.app_id).name for s in (first, second))
    return first.school.brin, names[0], names[1]


class TestChoosingTheConnection:
    def test_several_active_connections_need_the_app_named_in_gegevenssetid(
        self, session: Session, two_apps: tuple[str, str, str]
    ) -> None:
        brin, first, second = two_apps
        with pytest.raises(UwlrFault) as caught:
            dispatch(session, parse_request(_request(brin), max_bytes=100_000), _context())
        assert caught.value.code is FaultCode.ONGELDIG_BERICHT
        assert caught.value.detail == (
            f"several connections with school {brin}-00 are active ({first}, {second}); "
            "name the app in gegevenssetid"
        )

    def test_gegevenssetid_picks_the_app(
        self, session: Session, two_apps: tuple[str, str, str]
    ) -> None:
        brin, first, _second = two_apps
        request = parse_request(_request(brin, first), max_bytes=100_000)
        answer = soap_payload(dispatch(session, request, _context()).envelope)
        assert answer.tag == f"{{{LG_NS}}}leerlinggegevens_antwoord"
