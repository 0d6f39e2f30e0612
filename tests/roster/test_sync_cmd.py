"""``koppelvlak sync`` against a fake LAS served over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from tests.roster.conftest import uwlr
from tests.support.server import free_port, koppelvlak_env, run_cli

AUT = "{http://www.edustandaard.nl/leerresultaten/2/autorisatie}"
LG = "{http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens}"
FAULT = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
    b"<faultcode>s:Client.AutorisatieOngeldig</faultcode><faultstring>unknown key</faultstring>"
    b"</s:Fault></s:Body></s:Envelope>"
)

NO_CHANGES = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<leerlinggegevens_antwoord xmlns="http://www.edustandaard.nl/leerresultaten/2/'
    b'leerlinggegevens"><geenwijzigingen/></leerlinggegevens_antwoord></s:Body></s:Envelope>'
)


class FakeLas:
    """A LAS that answers every POST with one prepared SOAP answer and remembers the requests."""

    def __init__(self) -> None:
        self.answer = uwlr(envelope=True)
        self.status = 200
        self.honours_since = False
        self.requests: list[tuple[str | None, bytes]] = []


@pytest.fixture
def las() -> Iterator[tuple[FakeLas, str]]:
    state = FakeLas()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((self.headers.get("SOAPAction"), body))
            answer = state.answer
            if state.honours_since and b"laatstontvangengegevens" in body:
                answer = NO_CHANGES
            self.send_response(state.status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/uwlr2.2.svc"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def env(fresh_database_url: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    return koppelvlak_env(fresh_database_url("sqlite"), tmp_path, KOPPELVLAK_UWLR_KEY="secret-key")


def sync(url: str, env: dict[str, str], *extra: str) -> tuple[int, dict[str, object]]:
    result = run_cli(
        "sync",
        "--uwlr-url",
        url,
        "--klantcode",
        "KV",
        "--school",
        "99XX",
        "--school-year",
        "2024-2025",
        "--board",
        "B1",
        "--json",
        *extra,
        env=env,
    )
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


class TestPull:
    def test_it_asks_for_the_school_with_the_key_and_imports_the_answer(
        self, las: tuple[FakeLas, str], env: dict[str, str]
    ) -> None:
        state, url = las
        code, document = sync(url, env)
        assert code == 0
        assert document["outcome"] == "ok"
        assert document["counts"]["student"] == {"added": 2, "changed": 0, "removed": 0, "total": 2}  # type: ignore[index]  # JSON document
        action, body = state.requests[0]
        assert action == '"HaalLeerlinggegevens"'
        envelope = etree.fromstring(body)
        assert envelope.findtext(f".//{AUT}autorisatiesleutel") == "secret-key"
        assert envelope.findtext(f".//{AUT}klantcode") == "KV"
        verzoek = envelope.find(f".//{LG}leerlinggegevens_verzoek")
        assert verzoek is not None
        assert [(child.tag.split("}")[1], child.text) for child in verzoek] == [
            ("schooljaar", "2024-2025"),
            ("brincode", "99XX"),
            ("dependancecode", "00"),
            ("xsdversie", "2.2"),
        ]

    def test_a_second_pull_of_the_same_data_changes_nothing(
        self, las: tuple[FakeLas, str], env: dict[str, str]
    ) -> None:
        _, url = las
        sync(url, env)
        code, document = sync(url, env)
        assert code == 0
        counts = document["counts"]
        assert isinstance(counts, dict)
        assert {c["added"] + c["changed"] + c["removed"] for c in counts.values()} == {0}

    def test_a_soap_fault_is_reported_as_the_error(
        self, las: tuple[FakeLas, str], env: dict[str, str]
    ) -> None:
        state, url = las
        state.answer, state.status = FAULT, 500
        code, document = sync(url, env)
        assert code == 1
        assert document == {
            "outcome": "error",
            "error": "the LAS answered with a SOAP fault s:Client.AutorisatieOngeldig: unknown key",
            "location": f"{url}, line 1, Envelope/Body/Fault",
        }

    def test_an_unreachable_las_is_one_error(self, env: dict[str, str]) -> None:
        url = f"http://127.0.0.1:{free_port()}/uwlr"
        code, document = sync(url, env)
        assert code == 1
        assert str(document["error"]).startswith("cannot reach the LAS (ConnectError: ")
        assert document["location"] == url

    def test_an_http_error_without_a_soap_answer_is_refused(
        self, las: tuple[FakeLas, str], env: dict[str, str]
    ) -> None:
        state, url = las
        state.answer, state.status = b"<html>Not here</html>", 404
        code, document = sync(url, env)
        assert code == 1
        assert document["error"] == "the LAS answered HTTP 404; expected 200 with a UWLR answer"


class TestChangesSince:
    def test_a_second_pull_asks_for_changes_since_the_first_and_accepts_no_changes(
        self, las: tuple[FakeLas, str], env: dict[str, str]
    ) -> None:
        state, url = las
        state.honours_since = True
        sync(url, env)
        code, document = sync(url, env)
        assert code == 0
        assert document["warnings"] == [
            f"{url}: the LAS answered <geenwijzigingen/>: nothing to change"
        ]
        first = etree.fromstring(state.requests[0][1]).find(f".//{LG}laatstontvangengegevens")
        second = etree.fromstring(state.requests[1][1]).findtext(f".//{LG}laatstontvangengegevens")
        assert first is None
        assert second is not None
        assert second.endswith("Z")

    def test_full_asks_for_everything_again(
        self, las: tuple[FakeLas, str], env: dict[str, str]
    ) -> None:
        state, url = las
        state.honours_since = True
        sync(url, env)
        code, document = sync(url, env, "--full")
        assert code == 0
        assert b"laatstontvangengegevens" not in state.requests[1][1]
        counts = document["counts"]
        assert isinstance(counts, dict)
        assert counts["student"]["total"] == 2
