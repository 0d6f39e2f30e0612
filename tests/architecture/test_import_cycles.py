"""Modules that were once tangled stay apart: no chain of imports leads back where it started.

A cycle hides which module owns what and makes imports order-dependent; these pairs were cycles
once (issue 11), each held together by a function-level import.
"""

from __future__ import annotations

from functools import lru_cache

import grimp
import pytest

ONCE_TANGLED = [
    ("koppelvlak.roster.importers.oneroster_csv", "koppelvlak.roster.importers.oneroster_map"),
    ("koppelvlak.cli.import_cmd", "koppelvlak.cli.main"),
    ("koppelvlak.cli.sync", "koppelvlak.cli.main"),
    ("koppelvlak.cli.sync", "koppelvlak.cli.import_cmd"),
]


@lru_cache(maxsize=1)
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("koppelvlak")


class TestNoImportCycles:
    @pytest.mark.parametrize(("lower", "upper"), ONCE_TANGLED)
    def test_the_lower_module_reaches_the_upper_one_by_no_chain_of_imports(
        self, lower: str, upper: str
    ) -> None:
        assert _graph().find_shortest_chain(importer=lower, imported=upper) is None
