"""Installs are reproducible: ``requirements.lock`` pins, with hashes, all that pyproject asks for.

``make install`` and CI install only from the lock (``pip install --require-hashes``), so a
dependency added to ``pyproject.toml`` without ``make lock`` would be missing at run time; this
test says so first.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(text: str) -> dict[str, tuple[str, int]]:
    """``name -> (version, number of sha256 hashes)`` of a hashed requirements file."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in text.splitlines():
        if match := _PIN.match(line):
            current = canonicalize_name(match[1])
            found[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
        elif not line.startswith(" "):
            current = None
    return found


def _wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["test"],
        *project["build-system"]["requires"],
    ]
    return [Requirement(name) for name in names]


class TestTheReader:
    def test_it_reads_a_pin_and_counts_its_hashes(self) -> None:
        text = "lxml==6.1.3 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\n"
        assert pins(text) == {"lxml": ("6.1.3", 2)}


class TestTheLock:
    def test_every_requirement_of_pyproject_is_pinned_within_its_range(self) -> None:
        locked = pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
        problems = [
            f"{wanted} ({locked.get(canonicalize_name(wanted.name), ('missing',))[0]})"
            for wanted in _wanted()
            if canonicalize_name(wanted.name) not in locked
            or not wanted.specifier.contains(
                locked[canonicalize_name(wanted.name)][0], prereleases=True
            )
        ]
        assert problems == [], "run `make lock` and commit requirements.lock"

    def test_every_pin_carries_a_hash(self) -> None:
        locked = pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
        assert [name for name, (_version, hashes) in locked.items() if hashes == 0] == []
