"""The ``koppelvlak`` command starts without the heavy libraries: each command imports its own.

Every CLI process (an import, ``audit verify``, each of the test suite's many subprocesses)
once paid about two CPU-seconds to import the whole program, because one command module
imported the models and the delivery worker at module level. The rule of ``cli/__init__``
(command modules import only Typer at module level) is held here, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "fastapi", "lxml", "httpx", "pydantic", "argon2", "koppelvlak.all_models")

PROBE = (
    "import json, sys, koppelvlak.cli.main\n"
    f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
)


def _loaded_after_import() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


class TestCliStartUp:
    def test_importing_the_command_loads_none_of_the_heavy_libraries(self) -> None:
        assert _loaded_after_import() == []

    def test_a_command_whose_imports_moved_inside_still_shows_its_options(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "koppelvlak.cli.main", "worker", "--help"],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "--threads" in result.stdout
