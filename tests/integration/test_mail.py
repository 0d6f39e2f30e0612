"""Mail leaves only after its change commits, over real SMTP on loopback or into a folder."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from koppelvlak.config import Settings
from koppelvlak.errors import ConfigurationError
from koppelvlak.kit.mail import FolderMailer, Mail, SmtpMailer, mailer_from_url, send_after_commit
from koppelvlak.runtime import Runtime

MAIL = Mail(to="dpo@school.example", subject="Verzoek ontvangen", text="Er is een verzoek.")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802  # aiosmtpd's hook name
        assert isinstance(envelope.content, bytes)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def runtime_with_smtp(
    inbox: tuple[Inbox, int], fresh_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[Runtime]:
    settings = Settings(
        database_url=fresh_database_url("sqlite"),
        key_file=tmp_path / "k.json",
        mail_url=f"smtp://127.0.0.1:{inbox[1]}",
        mail_from="koppelvlak@school.example",
    )
    runtime = Runtime.from_settings(settings)
    yield runtime
    runtime.engine.dispose()


class TestMailAfterCommit:
    def test_a_mail_queued_in_a_unit_of_work_arrives_once_it_commits(
        self, runtime_with_smtp: Runtime, inbox: tuple[Inbox, int]
    ) -> None:
        with runtime_with_smtp.unit_of_work(write=True) as session:
            send_after_commit(session, MAIL)
            assert inbox[0].messages == []
        [message] = inbox[0].messages
        assert message["To"] == "dpo@school.example"
        assert message["From"] == "koppelvlak@school.example"
        assert message["Subject"] == "Verzoek ontvangen"
        assert message.get_payload(decode=True).rstrip() == b"Er is een verzoek."

    def test_a_unit_that_rolls_back_sends_nothing(
        self, runtime_with_smtp: Runtime, inbox: tuple[Inbox, int]
    ) -> None:
        def failing_change() -> None:
            with runtime_with_smtp.unit_of_work(write=True) as session:
                send_after_commit(session, MAIL)
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError, match="the change failed"):
            failing_change()
        with runtime_with_smtp.unit_of_work(write=True):
            pass  # a later unit that commits sends nothing left over from the failed one
        assert inbox[0].messages == []

    def test_an_unreachable_server_does_not_undo_the_committed_change(
        self, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        settings = Settings(
            database_url=fresh_database_url("sqlite"),
            key_file=tmp_path / "k.json",
            mail_url=f"smtp://127.0.0.1:{_free_port()}",
        )
        runtime = Runtime.from_settings(settings)
        with runtime.unit_of_work(write=True) as session:
            send_after_commit(session, MAIL)  # logged as failed, never raised
        runtime.engine.dispose()


class TestMailers:
    def test_html_goes_as_an_alternative_to_the_text(self, inbox: tuple[Inbox, int]) -> None:
        SmtpMailer("127.0.0.1", inbox[1], sender="k@x.example").send(
            Mail(to="a@x.example", subject="s", text="plain", html="<p>rich</p>")
        )
        [message] = inbox[0].messages
        assert [p.get_content_type() for p in message.walk()][1:] == ["text/plain", "text/html"]

    def test_the_folder_mailer_writes_one_eml_file_per_mail(self, tmp_path: Path) -> None:
        FolderMailer(tmp_path / "mail", sender="k@x.example").send(MAIL)
        FolderMailer(tmp_path / "mail", sender="k@x.example").send(MAIL)
        files = sorted((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 2
        assert email.message_from_bytes(files[0].read_bytes())["Subject"] == "Verzoek ontvangen"

    def test_mail_urls_name_a_server_or_a_folder(self, tmp_path: Path) -> None:
        smtp = mailer_from_url("smtp://user:p%40ss@mail.example:587?starttls=1", "k@x.example")
        assert smtp == SmtpMailer(
            "mail.example", 587, "k@x.example", username="user", password="p@ss", starttls=True
        )
        assert mailer_from_url("folder:mail", "k@x.example") == FolderMailer(
            Path("mail"), "k@x.example"
        )
        assert mailer_from_url(f"folder://{tmp_path}", "k@x.example") == FolderMailer(
            tmp_path, "k@x.example"
        )

    @pytest.mark.parametrize(
        ("url", "error"),
        [
            ("ftp://x", "mail URL ftp://x is neither smtp://host:port nor folder:PATH"),
            ("smtp://u:secret@", "mail URL smtp://u:***@ names no host"),
            ("folder:", "mail URL folder: names no folder"),
        ],
    )
    def test_a_bad_mail_url_is_named_without_its_password(self, url: str, error: str) -> None:
        with pytest.raises(ConfigurationError) as raised:
            mailer_from_url(url, "k@x.example")
        assert str(raised.value) == error
