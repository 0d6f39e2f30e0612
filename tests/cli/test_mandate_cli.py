"""``koppelvlak mandate`` and ``koppelvlak incident`` on a demo database: one-line answers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.support.server import koppelvlak_env, run_cli

EINDTOETS = "Logistiek Proces Eindtoets PO"
TOETSBUREAU_KVK = "90000002"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder: Path = tmp_path_factory.mktemp("mandate-cli")
    environment = koppelvlak_env(f"sqlite:///{folder / 'd.db'}", folder)
    result = run_cli("demo", "--students", "60", "--json", env=environment)
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    return environment


class TestMandateCommands:
    def test_services_lists_the_register(self, env: dict[str, str]) -> None:
        result = run_cli("mandate", "services", env=env)
        assert result.returncode == 0, result.stderr
        names = [line.split("  (")[0] for line in result.stdout.splitlines()]
        assert {EINDTOETS, "BRON PO", "Verzuim"} <= set(names)

    def test_grant_list_and_revoke(self, env: dict[str, str]) -> None:
        granted = run_cli(
            "mandate", "grant", "--board", "DEMO", "--school", "99XX", "--service", "Verzuim",
            "--party", "00000001003214345000", "--from", "2025-08-01", env=env,
        )  # fmt: skip
        assert granted.returncode == 0, granted.stderr
        mandate_id = str(uuid.UUID(granted.stdout.strip()))
        listed = run_cli("mandate", "list", "--board", "DEMO", env=env).stdout
        line = next(x for x in listed.splitlines() if x.startswith(mandate_id))
        assert "valid" in line.split()
        assert "oin 00000001003214345000" in line
        revoked = run_cli(
            "mandate", "revoke", mandate_id, "--board", "DEMO", "--reason", "test", env=env
        )
        assert revoked.returncode == 0, revoked.stderr
        listed = run_cli("mandate", "list", "--board", "DEMO", env=env).stdout
        line = next(x for x in listed.splitlines() if x.startswith(mandate_id))
        assert "revoked" in line.split()

    def test_a_malformed_party_is_one_line_of_error(self, env: dict[str, str]) -> None:
        result = run_cli(
            "mandate", "grant", "--board", "DEMO", "--school", "99XX", "--service", EINDTOETS,
            "--party", "KVK-123", "--from", "2025-08-01", env=env,
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr == (
            "error: party must be an OIN (20 digits) or a KvK number (8 digits), not 'KVK-123'\n"
        )

    def test_a_bad_date_is_named(self, env: dict[str, str]) -> None:
        result = run_cli(
            "mandate", "grant", "--board", "DEMO", "--school", "99XX", "--service", EINDTOETS,
            "--party", TOETSBUREAU_KVK, "--from", "1-8-2025", env=env,
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr == "error: --from '1-8-2025' is not a date (YYYY-MM-DD)\n"

    def test_the_final_test_flow_is_shown_with_its_mandate(self, env: dict[str, str]) -> None:
        marked = run_cli(
            "mandate", "final-test", "Doorstroomtoets", "--board", "DEMO",
            "--reference-date", "2026-01-15", env=env,
        )  # fmt: skip
        assert marked.returncode == 0, marked.stderr
        assert f"party {TOETSBUREAU_KVK}" in marked.stderr
        before = run_cli(
            "mandate", "final-test-status", "--board", "DEMO", "--school", "99XX", env=env
        )
        assert "NO valid mandate" in before.stdout
        granted = run_cli(
            "mandate", "grant", "--board", "DEMO", "--school", "99XX", "--service", EINDTOETS,
            "--party", TOETSBUREAU_KVK, "--from", "2025-12-01", env=env,
        )  # fmt: skip
        assert granted.returncode == 0, granted.stderr
        after = run_cli(
            "mandate", "final-test-status", "--board", "DEMO", "--school", "99XX", env=env
        )
        assert "mandate valid" in after.stdout
        assert "results received: 0" in after.stdout
        check = run_cli("release", "check", env=env)
        assert check.returncode == 0, check.stdout + check.stderr


def _report_incident(env: dict[str, str]) -> str:
    """A suspected breach reported by the demo's test supplier for its connection (service)."""
    from koppelvlak.connections.lookup import find_connection
    from koppelvlak.connections.service import board_id_by_code, get
    from koppelvlak.incidents import service as incidents
    from koppelvlak.incidents.models import IncidentKind
    from koppelvlak.kit.clock import utcnow
    from tests.api.conftest import change_as_server

    def report(session: Session) -> str:
        board_id = board_id_by_code(session, "DEMO")
        connection = get(session, board_id, find_connection(session, board_id, "Doorstroomtoets"))
        (view,) = incidents.report(
            session,
            provider_id=connection.provider_id,
            reported_by="cli-test",
            kind=IncidentKind.SUSPECTED_BREACH,
            summary="A test export was mailed to the wrong school.",
            connection_ids=[connection.id],
            started_at=None,
            at=utcnow(),
        )
        return str(view.incident_id)

    workdir = Path(env["KOPPELVLAK_KEY_FILE"]).parent
    result: str = change_as_server(env["KOPPELVLAK_DATABASE_URL"], workdir, report)
    return result


class TestIncidentCommands:
    def test_list_show_and_assess_with_the_clock(self, env: dict[str, str]) -> None:
        incident_id = _report_incident(env)
        listed = run_cli("incident", "list", "--board", "DEMO", env=env).stdout
        line = next(x for x in listed.splitlines() if x.startswith(incident_id))
        assert "suspected_breach" in line
        assert "left to notify the authority" in line
        assessed = run_cli(
            "incident", "assess", incident_id, "--board", "DEMO", "--assessment",
            "One file, no special data; notified.", "--notifiable", "--reference", "AP-1", env=env,
        )  # fmt: skip
        assert assessed.returncode == 0, assessed.stderr
        shown = run_cli("incident", "show", incident_id, "--board", "DEMO", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "assessment: One file, no special data; notified." in shown.stdout
        assert "people affected: " in shown.stdout

    def test_an_unknown_incident_is_one_line_of_error(self, env: dict[str, str]) -> None:
        unknown = uuid.uuid4()
        result = run_cli("incident", "show", str(unknown), "--board", "DEMO", env=env)
        assert result.returncode == 1
        assert result.stderr == f"error: no incident with id {unknown} in this board\n"

    def test_a_bad_recipient_address_is_refused(self, env: dict[str, str]) -> None:
        result = run_cli("incident", "recipient", "not-an-address", "--board", "DEMO", env=env)
        assert result.returncode == 1
        assert result.stderr == "error: 'not-an-address' is not a mail address\n"
