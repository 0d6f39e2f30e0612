"""``koppelvlak admin create``: a web login whose password is printed once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from koppelvlak.accounts import service as accounts
from koppelvlak.accounts.service import Principal
from koppelvlak.config import Settings
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime
from tests.factories.providers import board_with_school
from tests.support.server import koppelvlak_env, run_cli


def test_admin_create_prints_a_password_that_logs_in_and_refuses_a_bad_role(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database_url("sqlite")
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=tmp_path / "keys.json"))
    with runtime.unit_of_work(write=True) as session:
        code = board_with_school(session)[0].code
    env = koppelvlak_env(url, tmp_path)
    made = run_cli(
        "admin", "create", "--board", code, "--email", "fg@school.nl", "--role", "dpo", env=env
    )
    assert made.returncode == 0, made.stderr
    password = made.stdout.strip()
    assert "the password is shown only now" in made.stderr
    with runtime.unit_of_work(write=True) as session:
        who = accounts.log_in(session, code, "fg@school.nl", password, utcnow())
    assert isinstance(who, Principal)
    assert who.role.value == "dpo"

    again = run_cli(
        "admin", "create", "--board", code, "--email", "x@school.nl", "--role", "boss", env=env
    )
    assert again.returncode == 1
    assert again.stderr.startswith("error: ")
    assert "Traceback" not in again.stderr
    runtime.engine.dispose()
