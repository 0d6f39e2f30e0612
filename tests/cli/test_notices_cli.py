"""``koppelvlak notices list | escalate`` as a school admin runs them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from koppelvlak.audit import service as audit
from koppelvlak.config import Settings
from koppelvlak.delivery import notices
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import board_with_school, connected
from tests.factories.roster import StudentFactory
from tests.support.server import koppelvlak_env, run_cli


def _board_with_notices(tmp_path: Path) -> tuple[dict[str, str], str, list[str]]:
    """A board with one fresh notice and one past its due time; returns env, code, ids."""
    url = f"sqlite:///{tmp_path / 'n.db'}"
    env = koppelvlak_env(url, tmp_path)
    assert run_cli("db", "upgrade", env=env).returncode == 0
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=tmp_path / "keys.json"))
    ids: list[str] = []
    with runtime.unit_of_work(write=True) as session:
        board, school = board_with_school(session)
        setup = connected(session, board=board, school=school)
        people = [StudentFactory(board_id=board.id, school_id=school.id) for _ in range(2)]
        session.add_all(people)
        code = board.code
    with runtime.unit_of_work(write=True) as session:
        audit.record(
            session,
            DisclosureFactory(
                board_id=setup.board.id,
                provider_id=setup.provider.id,
                connection_id=setup.connection.id,
                person_ids=frozenset(p.id for p in people),
            ),
        )
    for person, at in zip(people, (utcnow(), utcnow() - timedelta(days=30)), strict=True):
        with runtime.unit_of_work(write=True) as session:
            (notice,) = notices.notify_erasure(
                session, board_id=setup.board.id, person_id=person.id, at=at
            )
            ids.append(str(notice.id))
    runtime.engine.dispose()
    return env, code, ids


class TestTheNoticesCommands:
    def test_list_shows_open_and_overdue_notices_and_escalate_marks_the_late_one(
        self, tmp_path: Path
    ) -> None:
        env, code, (fresh, late) = _board_with_notices(tmp_path)

        listed = run_cli("notices", "list", "--board", code, "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        assert {n["id"] for n in json.loads(listed.stdout)["notices"]} == {fresh, late}

        overdue = run_cli("notices", "list", "--board", code, "--overdue", env=env)
        assert late in overdue.stdout
        assert fresh not in overdue.stdout
        assert overdue.stdout.endswith("1 overdue notice(s)\n")

        escalated = run_cli("notices", "escalate", "--board", code, env=env)
        assert escalated.stdout == "1 notice(s) escalated\n"
        again = run_cli("notices", "escalate", "--board", code, env=env)
        assert again.stdout == "0 notice(s) escalated\n"

    def test_an_unknown_board_is_one_line(self, tmp_path: Path) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'n.db'}", tmp_path)
        assert run_cli("db", "upgrade", env=env).returncode == 0
        result = run_cli("notices", "list", "--board", "NOPE", env=env)
        assert result.returncode == 1
        assert result.stderr == "error: no board with code 'NOPE'\n"
