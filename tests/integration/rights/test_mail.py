"""The rights mails over real SMTP on loopback: received, approved, done, deadline near."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from koppelvlak.config import Settings
from koppelvlak.rights import actions, requests
from koppelvlak.rights.errors import ReasonRequired
from koppelvlak.rights.models import RequestKind
from koppelvlak.runtime import Runtime
from tests.factories.providers import T0
from tests.factories.rights import family
from tests.integration.test_mail import Inbox, inbox  # noqa: F401  # the SMTP server fixture

DPO = "fg@school.example"
PARENT = "petra@home.example"


@pytest.fixture
def runtime(
    inbox: tuple[Inbox, int],  # noqa: F811  # the imported fixture
    fresh_database_url: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[Runtime]:
    settings = Settings(
        database_url=fresh_database_url("sqlite"),
        key_file=tmp_path / "k.json",
        mail_url=f"smtp://127.0.0.1:{inbox[1]}",
        mail_from="koppelvlak@school.example",
        dpo_email=DPO,
    )
    runtime = Runtime.from_settings(settings)
    yield runtime
    runtime.engine.dispose()


def _sent(server: tuple[Inbox, int]) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["Subject"])) for m in server[0].messages]


class TestTheRightsMails:
    def test_the_requester_hears_of_receipt_approval_and_completion_and_the_dpo_of_filing(
        self,
        runtime: Runtime,
        inbox: tuple[Inbox, int],  # noqa: F811  # the imported fixture
    ) -> None:
        with runtime.unit_of_work(write=True) as session:
            people = family(session)
            filing = requests.Filing(
                RequestKind.ACCESS, people.child.id, actor="dpo:fg", contact_email=PARENT
            )
            filed = requests.file_request(
                session, people.board_id, filing, at=T0, dpo_email=runtime.settings.dpo_email
            )
            assert inbox[0].messages == []  # nothing leaves before the commit
        assert _sent(inbox) == [
            (PARENT, "Verzoek ontvangen / Request received"),
            (DPO, "Nieuw verzoek van een betrokkene / New data-subject request"),
        ]
        body = inbox[0].messages[0].get_payload(decode=True).decode()
        assert f"Kenmerk: {filed.id}" in body
        assert "uiterlijk op 2026-02-05" in body
        assert "by 2026-02-05 at the latest" in body
        assert "Sanne" not in body  # a mistyped address learns nothing about the child

        with runtime.unit_of_work(write=True) as session:
            requests.check_identity(session, people.board_id, filed.id, actor="a", at=T0)
            requests.approve(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        with runtime.unit_of_work(write=True) as session:
            actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        assert _sent(inbox)[2:] == [
            (PARENT, "Verzoek goedgekeurd / Request approved"),
            (PARENT, "Verzoek uitgevoerd / Request carried out"),
        ]

    def test_a_step_that_fails_mails_nobody(
        self,
        runtime: Runtime,
        inbox: tuple[Inbox, int],  # noqa: F811  # the imported fixture
    ) -> None:
        with runtime.unit_of_work(write=True) as session:
            people = family(session)
            filing = requests.Filing(
                RequestKind.RECTIFICATION, people.child.id, actor="dpo", contact_email=PARENT
            )
            filed = requests.file_request(session, people.board_id, filing, at=T0)
            requests.check_identity(session, people.board_id, filed.id, actor="a", at=T0)
        inbox[0].messages.clear()

        def approve_and_carry_out_without_a_note() -> None:
            with runtime.unit_of_work(write=True) as session:
                requests.approve(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
                actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)

        with pytest.raises(ReasonRequired):
            approve_and_carry_out_without_a_note()
        assert inbox[0].messages == []

    def test_the_dpo_is_reminded_once_when_a_deadline_is_near(
        self,
        runtime: Runtime,
        inbox: tuple[Inbox, int],  # noqa: F811  # the imported fixture
    ) -> None:
        with runtime.unit_of_work(write=True) as session:
            people = family(session)
            filing = requests.Filing(RequestKind.OBJECTION, people.child.id, actor="dpo")
            filed = requests.file_request(session, people.board_id, filing, at=T0)
        near = T0 + timedelta(days=28)
        for _ in range(2):
            with runtime.unit_of_work(write=True) as session:
                requests.remind(session, people.board_id, at=near, dpo_email=DPO)
        assert _sent(inbox) == [(DPO, "Termijn verloopt bijna / Deadline near")]
        body = inbox[0].messages[0].get_payload(decode=True).decode()
        assert f"kenmerk {filed.id}" in body
        assert "moet uiterlijk 2026-02-05 zijn afgehandeld" in body
