"""Signed request links: a guardian's link works once, for its child and purpose, and expires."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.kit import links as signed
from koppelvlak.kit.csrf import CsrfRefused
from koppelvlak.kit.links import LinkExpired, LinkInvalid
from koppelvlak.rights import links
from koppelvlak.rights.errors import DuplicateRequest, InvalidRequest, LinkUsed, PersonNotFound
from koppelvlak.rights.models import RequestChannel, RequestKind, RightsRequest
from tests.factories.providers import T0
from tests.factories.rights import SESSION_KEY, Family, family


def _link(session: Session, people: Family, kind: RequestKind = RequestKind.ACCESS) -> str:
    issued = links.make_link(
        session,
        SESSION_KEY,
        people.board_id,
        people.child.id,
        kind,
        at=T0,
        guardian_id=people.guardian.id,
    )
    return issued.token


def _file(session: Session, token: str, **fields: object) -> RightsRequest:
    claims = links.read_link(session, SESSION_KEY, token, T0)
    return links.file_by_link(
        session,
        SESSION_KEY,
        token,
        at=T0 + timedelta(hours=1),
        form_token=links.form_token(SESSION_KEY, claims),
        **fields,  # type: ignore[arg-type]  # the form's optional fields
    )


def _requests(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RightsRequest)) or 0)


def _tampered(token: str, **changes: str) -> str:
    body, _, mac = token.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{forged}.{mac}"


class TestAGuardiansLink:
    def test_it_files_the_request_for_the_child_in_the_guardians_name(
        self, session: Session
    ) -> None:
        people = family(session)
        filed = _file(session, _link(session, people), contact_email="petra@home.example")
        assert (filed.person_id, filed.kind) == (people.child.id, RequestKind.ACCESS)
        assert filed.channel is RequestChannel.LINK
        assert filed.filed_by == f"guardian:{people.guardian.id}"
        assert filed.contact_email == "petra@home.example"

    def test_it_works_once(self, session: Session) -> None:
        people = family(session)
        token = _link(session, people)
        filed = _file(session, token)
        requests_before = _requests(session)
        with pytest.raises(LinkUsed) as raised:
            _file(session, token)
        assert raised.value.status == 410
        assert str(raised.value) == "this link has already been used; ask the school for a new one"
        assert _requests(session) == requests_before
        assert filed.id is not None

    def test_it_expires(self, session: Session) -> None:
        people = family(session)
        token = _link(session, people)
        with pytest.raises(LinkExpired) as raised:
            links.read_link(session, SESSION_KEY, token, T0 + timedelta(days=14))
        assert raised.value.status == 410
        assert _requests(session) == 0

    def test_it_cannot_be_turned_into_a_link_for_another_child(self, session: Session) -> None:
        people = family(session)
        token = _tampered(_link(session, people), person=str(people.namesake.id))
        with pytest.raises(LinkInvalid) as raised:
            links.read_link(session, SESSION_KEY, token, T0)
        assert raised.value.status == 400
        assert str(raised.value) == "the link has been altered or was not made by this service"
        assert _requests(session) == 0

    def test_a_link_signed_for_another_purpose_is_refused(self, session: Session) -> None:
        people = family(session)
        key = signed.derive_key(SESSION_KEY, links.PURPOSE)
        claims = {"board": str(people.board_id), "person": str(people.child.id)}
        consent = signed.sign(key, "guardian-consent", claims, T0 + timedelta(days=1))
        with pytest.raises(LinkInvalid, match="the link was made for something else"):
            links.read_link(session, SESSION_KEY, consent, T0)

    def test_the_form_must_carry_the_links_own_token(self, session: Session) -> None:
        people = family(session)
        token, other = _link(session, people), _link(session, people, RequestKind.OBJECTION)
        other_form = links.form_token(SESSION_KEY, links.read_link(session, SESSION_KEY, other, T0))
        for form in (None, "", other_form):
            with pytest.raises(CsrfRefused):
                links.file_by_link(session, SESSION_KEY, token, at=T0, form_token=form)
        assert _requests(session) == 0

    def test_a_second_link_for_the_same_open_request_is_a_duplicate(self, session: Session) -> None:
        people = family(session)
        _file(session, _link(session, people))
        with pytest.raises(DuplicateRequest):
            _file(session, _link(session, people))


class TestMakingALink:
    def test_only_a_guardian_of_the_child_gets_one(self, session: Session) -> None:
        people = family(session)
        with pytest.raises(PersonNotFound, match="no guardian"):
            links.make_link(
                session,
                SESSION_KEY,
                people.board_id,
                people.namesake.id,
                RequestKind.ACCESS,
                at=T0,
                guardian_id=people.guardian.id,
            )

    def test_links_file_access_and_objection_only(self, session: Session) -> None:
        people = family(session)
        with pytest.raises(InvalidRequest) as raised:
            links.make_link(
                session, SESSION_KEY, people.board_id, people.child.id, RequestKind.ERASURE, at=T0
            )
        assert str(raised.value) == "a link files access or objection requests only, not erasure"

    def test_another_boards_child_has_no_link(self, session: Session) -> None:
        people, other = family(session), family(session)
        with pytest.raises(PersonNotFound):
            links.make_link(
                session, SESSION_KEY, people.board_id, other.child.id, RequestKind.ACCESS, at=T0
            )

    def test_the_link_hides_its_token_when_printed(self, session: Session) -> None:
        people = family(session)
        issued = links.make_link(
            session, SESSION_KEY, people.board_id, people.child.id, RequestKind.ACCESS, at=T0
        )
        assert issued.token not in repr(issued)
        assert (
            issued.url("https://kv.example/") == f"https://kv.example/rights/links/{issued.token}"
        )
