"""A clone is whole: neither the product, the tests, the benchmarks nor CI read ``../shared``.

The official files the project started from sit in a ``shared`` folder beside the development
checkout. A user's clone has no such folder, so nothing may reach for it: the UWLR files ship in
the package, test data lives in ``tests/data``. Prose may still cite ``shared/uwlr/NOTES.md`` (a
docstring or comment is not a path); a string the code uses is.
"""

from __future__ import annotations

import ast
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("src", "tests", "bench")
SCRIPTS = ("Makefile", ".ci/run", "pyproject.toml")
# A path component "shared", a ../shared prefix, or the old setting that pointed there.
_SHARED_PATH = re.compile(r"^shared$|(^|[/\\])shared[/\\]|\.\.[/\\]shared\b|KOPPELVLAK_SHARED_DIR")


def _docstrings(tree: ast.AST) -> set[int]:
    """``id`` of every constant that is a bare expression statement (docstrings, mostly)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def shared_paths(source: str) -> list[str]:
    """The string literals in Python source that name a path into ``shared``."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in prose
        and _SHARED_PATH.search(node.value)
    ]


class TestTheFinder:
    def test_it_finds_a_shared_folder_built_from_parts(self) -> None:
        source = 'ROOT = Path(__file__).parents[2] / "shared" / "uwlr"\n'
        assert shared_paths(source) == ["shared"]

    def test_it_finds_a_relative_path_and_the_old_setting(self) -> None:
        source = 'a = "../shared/oneroster/x.csv"\nb = os.environ["KOPPELVLAK_SHARED_DIR"]\n'
        assert shared_paths(source) == ["../shared/oneroster/x.csv", "KOPPELVLAK_SHARED_DIR"]

    def test_it_lets_prose_cite_the_notes(self) -> None:
        source = '"""See ``shared/uwlr/NOTES.md``."""\n# and shared/uwlr here\nx = "shared state"\n'
        assert shared_paths(source) == []


class TestNothingReadsShared:
    def test_no_python_file_names_a_path_into_shared(self) -> None:
        found = {
            str(path.relative_to(ROOT)): hits
            for folder in CODE
            for path in sorted((ROOT / folder).rglob("*.py"))
            if path != Path(__file__).resolve()
            and (hits := shared_paths(path.read_text(encoding="utf-8")))
        }
        assert found == {}

    def test_no_build_or_ci_script_names_shared(self) -> None:
        found = [
            f"{name}:{number}"
            for name in SCRIPTS
            for number, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), 1)
            if not line.lstrip().startswith("#") and re.search(r"\.\./shared|\bshared/", line)
        ]
        assert found == []


class TestThePackageIsWhole:
    def test_every_data_file_in_the_package_is_declared_package_data(self) -> None:
        """An installed (not editable) koppelvlak holds only what package-data names."""
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        globs = project["tool"]["setuptools"]["package-data"]["koppelvlak"]
        assert undeclared_data(ROOT / "src" / "koppelvlak", globs) == []

    def test_the_check_finds_a_schema_when_xsd_is_not_declared(self) -> None:
        found = undeclared_data(ROOT / "src" / "koppelvlak", ["**/*.wsdl", "**/*.txt"])
        assert "api/uwlr/official/v2p2/Schemas/UWLR_Leerlinggegevens_v2p2.xsd" in found


def undeclared_data(package: Path, globs: list[str]) -> list[str]:
    """Files other than Python source under ``package`` that no package-data glob matches.

    ``fnmatch``'s ``*`` crosses ``/``, so ``**/*.xsd`` matches at any depth, as in setuptools.
    """
    files = [
        path.relative_to(package).as_posix()
        for path in sorted(package.rglob("*"))
        if path.is_file() and path.suffix not in {".py", ".pyc"}
    ]
    return [name for name in files if not any(fnmatch(name, glob) for glob in globs)]
