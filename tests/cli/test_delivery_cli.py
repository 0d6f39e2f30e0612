"""``koppelvlak delivery …`` as an admin runs it, and an embedded ``serve`` sending the outbox."""

from __future__ import annotations

import json
import time
from pathlib import Path

from koppelvlak.config import Settings
from koppelvlak.connections.models import Connection
from koppelvlak.delivery import signing
from koppelvlak.runtime import Runtime
from tests.factories.providers import board_with_school, connected
from tests.factories.roster import StudentFactory
from tests.support.receiver import receiver
from tests.support.server import koppelvlak_env, run_cli, running_server


def _board(tmp_path: Path) -> tuple[dict[str, str], str, Connection]:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    env = koppelvlak_env(url, tmp_path, KOPPELVLAK_DELIVERY_ALLOW_LOOPBACK_HTTP="true")
    assert run_cli("db", "upgrade", env=env).returncode == 0
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=tmp_path / "keys.json"))
    with runtime.unit_of_work(write=True) as session:
        board, school = board_with_school(session)
        setup = connected(session, board=board, school=school)
        session.add_all(StudentFactory(board_id=board.id, school_id=school.id) for _ in range(2))
        code = board.code
    runtime.engine.dispose()
    return env, code, setup.connection


class TestTheDeliveryCommands:
    def test_register_then_an_embedded_serve_delivers_the_release_signed(
        self, tmp_path: Path
    ) -> None:
        env, code, connection = _board(tmp_path)
        with receiver([]) as (endpoint, received):
            registered = run_cli(
                "delivery", "register", "--board", code, "--connection", str(connection.id),
                "--url", endpoint, env=env,
            )  # fmt: skip
            assert registered.returncode == 0, registered.stderr
            shown = run_cli("delivery", "key", "--provider", str(connection.provider_id), env=env)
            (line,) = shown.stdout.splitlines()
            version, _, encoded = line.partition(": ")
            assert version == "version 1"
            runtime = Runtime.from_settings(
                Settings(
                    database_url=env["KOPPELVLAK_DATABASE_URL"], key_file=tmp_path / "keys.json"
                )
            )
            assert encoded == signing.encoded(
                signing.derive(runtime.secrets.token_signing_key, connection.provider_id, 1)
            )
            received.keys.append(
                signing.derive(runtime.secrets.token_signing_key, connection.provider_id, 1)
            )
            runtime.engine.dispose()

            with running_server(env):  # embedded (SQLite): it sends the outbox itself
                deadline = time.monotonic() + 120
                while not received.accepted and time.monotonic() < deadline:
                    time.sleep(0.2)

            kinds = [json.loads(body)["kind"] for body in received.accepted.values()]
            assert kinds[0] == "release", kinds
            assert received.unsigned == []
            listed = run_cli("delivery", "list", "--board", code, "--json", env=env)
            rows = json.loads(listed.stdout)["deliveries"]
            assert {r["id"] for r in rows} >= set(received.accepted)
            assert {r["state"] for r in rows if r["id"] in received.accepted} == {"delivered"}

    def test_plain_http_to_another_host_is_refused_in_one_line_and_nothing_registered(
        self, tmp_path: Path
    ) -> None:
        env, code, connection = _board(tmp_path)
        refused = run_cli(
            "delivery", "register", "--board", code, "--connection", str(connection.id),
            "--url", "http://provider.example/hook", env=env,
        )  # fmt: skip
        assert refused.returncode == 1
        assert refused.stderr == "error: the push endpoint must use HTTPS\n"
        listed = run_cli("delivery", "list", "--board", code, env=env)
        assert listed.stdout == "0 deliveries\n"

    def test_a_malformed_id_is_one_clear_line(self, tmp_path: Path) -> None:
        env, code, _connection = _board(tmp_path)
        result = run_cli("delivery", "retry", "nope", "--board", code, env=env)
        assert result.returncode != 0
        assert "'nope' is not a UUID" in result.stderr
        assert "Traceback" not in result.stderr
