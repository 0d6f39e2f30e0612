"""Consent requests: one mail per guardian and child, a link bound to the request, single-use."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.accounts import consent_requests
from koppelvlak.accounts.errors import ConsentLinkUsed, InvalidAccount
from koppelvlak.kit import links, mail
from koppelvlak.release import service as release
from koppelvlak.release.engine import Reason
from koppelvlak.roster.models import Guardian, Guardianship, Student
from tests.factories.providers import T0, Setup, connected, spec
from tests.factories.roster import StudentFactory

KEY = b"k" * 32
CONSENT = spec({"student.given_name": True, "student.birth_date": True}, purpose="homework_support")


def _family(session: Session, setup: Setup, email: str | None = "ouder@example.nl") -> Student:
    child: Student = StudentFactory(
        board_id=setup.board.id, school_id=setup.school.id, under_16=True
    )
    guardian = Guardian(board_id=setup.board.id, source_key=uuid.uuid4().hex[:8], email=email)
    session.add_all([child, guardian])
    session.flush()
    session.add(
        Guardianship(
            board_id=setup.board.id, guardian_id=guardian.id, student_id=child.id, relation="parent"
        )
    )
    session.flush()
    return child


def _send(session: Session, setup: Setup, at: datetime = T0) -> int:
    return consent_requests.send_requests(
        session,
        setup.board.id,
        setup.connection.id,
        link_key=KEY,
        base_url="https://kv.example/",
        actor="admin:a@school.nl",
        at=at,
    )


def _token(session: Session) -> str:
    queued = mail.take_queued(session)
    return queued[-1].text.split("https://kv.example/consent/")[1].split()[0]


class TestSending:
    def test_each_guardian_with_an_email_gets_one_link_for_a_child_without_a_decision(
        self, session: Session
    ) -> None:
        setup = connected(session, CONSENT)
        _family(session, setup)
        _family(session, setup, email=None)
        assert _send(session, setup) == 1
        sent = mail.take_queued(session)
        assert [m.to for m in sent] == ["ouder@example.nl"]
        assert "https://kv.example/consent/" in sent[0].text

    def test_a_connection_that_does_not_rest_on_consent_asks_nothing(
        self, session: Session
    ) -> None:
        setup = connected(session)
        with pytest.raises(InvalidAccount, match="does not rest on consent; nothing to ask"):
            _send(session, setup)


class TestTheGuardiansLink:
    def test_granting_releases_the_child_and_withdrawing_withholds_it_again(
        self, session: Session
    ) -> None:
        setup = connected(session, CONSENT)
        child = _family(session, setup)
        _send(session, setup)
        request = consent_requests.request_of_link(session, KEY, _token(session), T0)
        assert request.student_id == child.id
        page = consent_requests.page(session, request, T0)
        assert (page.current, page.actions) == (None, ("grant", "refuse"))
        assert "Geboortedatum" in [a.description_nl for a in page.attributes]

        later = T0 + timedelta(minutes=1)
        assert consent_requests.decide(session, request, "grant", later) == "given"
        explained = release.explain(session, setup.connection.id, child.id, later)
        assert explained.released
        assert consent_requests.allowed_actions(request) == ("withdraw",)

        latest = later + timedelta(minutes=1)
        assert consent_requests.decide(session, request, "withdraw", latest) == "withdrawn"
        explained = release.explain(session, setup.connection.id, child.id, latest)
        assert explained.reason is Reason.NO_PARENTAL_CONSENT

    def test_each_action_can_be_used_once(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        _family(session, setup)
        _send(session, setup)
        request = consent_requests.request_of_link(session, KEY, _token(session), T0)
        consent_requests.decide(session, request, "refuse", T0)
        with pytest.raises(ConsentLinkUsed, match="this link has been used for that already"):
            consent_requests.decide(session, request, "grant", T0)

    def test_an_altered_or_expired_link_is_refused(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        _family(session, setup)
        _send(session, setup)
        token = _token(session)
        with pytest.raises(links.LinkInvalid, match="has been altered"):
            consent_requests.request_of_link(session, KEY, token[:-2] + "AA", T0)
        with pytest.raises(links.LinkExpired, match="the link has expired"):
            consent_requests.request_of_link(session, KEY, token, T0 + timedelta(days=31))
        with pytest.raises(links.LinkInvalid):
            consent_requests.request_of_link(session, b"o" * 32, token, T0)
