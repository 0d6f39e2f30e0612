"""Several worker processes and clients at once: no lock errors, nothing lost, nothing unlogged.

A real ``koppelvlak serve --workers 2`` on the demo board, on SQLite and on PostgreSQL. Four
clients at once mix OneRoster pages, UWLR answers and UWLR result pushes for a bounded number
of rounds (a few seconds; the 60-second run is ``bench/bench_load.py``). Before ADR 0004 most
pushes failed on SQLite with "database is locked" and most UWLR answers beside OneRoster
reads with ``TijdelijkNietBeschikbaar``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.load import KINDS, SHARED_RESULT, Site, Stored, Tally, drive, prepare, stored
from tests.support.server import koppelvlak_env, run_cli, running_server
from tests.support.uwlr import UWLR_DIR

CLIENTS = 4
ROUNDS = 5  # per client, of each kind: 4 x 5 x 4 = 80 requests


@dataclass(frozen=True)
class Run:
    tally: Tally
    stored: Stored


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def run(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Run:
    url = fresh_database_url(request.param)
    workdir: Path = tmp_path_factory.mktemp("load")
    env = koppelvlak_env(
        url, workdir, KOPPELVLAK_UWLR_DIR=str(UWLR_DIR), KOPPELVLAK_RATE_LIMIT="100000/minute"
    )
    made = run_cli("demo", "--students", "60", "--json", env=env)
    assert made.returncode == 0, made.stderr
    school_year = json.loads(made.stdout)["board"]["school_year"]
    client_id, secret, connection_id = prepare(url)
    with running_server(env, workers=2) as base:
        site = Site(base, url, client_id, secret, school_year, connection_id)
        tally = drive(site, CLIENTS, rounds=ROUNDS)
    return Run(tally, stored(site))


class TestMixedTrafficOnTwoWorkers:
    def test_no_request_fails(self, run: Run) -> None:
        assert run.tally.errors == []
        assert run.tally.ok == dict.fromkeys(KINDS, CLIENTS * ROUNDS)

    def test_every_acknowledged_result_is_stored(self, run: Run) -> None:
        # Three new result keys per push, and the one key every push re-sends.
        assert len(run.tally.acknowledged) == CLIENTS * ROUNDS * 3 + 1
        assert run.stored.result_keys == run.tally.acknowledged

    def test_a_result_pushed_by_many_at_once_holds_one_of_their_scores(self, run: Run) -> None:
        assert SHARED_RESULT in run.stored.result_keys
        assert run.stored.shared_score in run.tally.shared_scores

    def test_the_ledger_holds_one_entry_per_response_with_personal_data(self, run: Run) -> None:
        assert run.stored.ledger_digests == run.tally.personal_digests
