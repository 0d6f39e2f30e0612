"""UWLR end to end, results: BrengLeerresultaten from zeep and raw clients, and what is refused.

Results sent back appear for the school and round-trip through the export; a result for a student
the provider cannot see, or a score that is not a number, is a fault and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.results.service import list_results, read_csv
from koppelvlak.roster.models import Student
from tests.api.uwlr.conftest import Deployment
from tests.api.uwlr.soap_calls import assert_fault, breng, breng_raw, haal, student_keys
from tests.support.server import koppelvlak_env, run_cli
from tests.support.uwlr import (
    LR_NS,
    NS,
    assert_valid,
    assert_valid_answer,
    soap_payload,
    uwlr_schema,
)


class TestTheDemoFinalTestProvider:
    """Toetsbureau Doorstroom from `koppelvlak demo`: Smalle set, group 8, LAS keys released."""

    def test_it_fetches_its_release_and_sends_results_back(self, deployment: Deployment) -> None:
        demo = deployment.demo_providers["Doorstroomtoets"]["uwlr"]
        credentials = {"key": demo["autorisatiesleutel"], "klantcode": demo["klantcode"]}
        response = haal(deployment, **credentials)
        antwoord = assert_valid_answer(response.content, profile="smalle_set")
        years = {y.text for y in antwoord.iterfind(".//lg:leerling/lg:jaargroep", NS)}
        assert years == {"8"}
        assert antwoord.find(".//lg:leerling[@eckid]", NS) is not None
        keys = student_keys(response)
        with Session(deployment.engine) as session:
            assert set(keys) <= set(session.scalars(select(Student.source_key)))
        pushed = breng(deployment, [(keys[0], "DOORSTROOM-1", 88)], **credentials)
        assert pushed.status_code == 200, pushed.content
        with Session(deployment.engine) as session:
            rows = list_results(session, "99XX")
        assert ("DOORSTROOM-1", keys[0], 88) in {
            (r.result_key, r.student_key, r.score) for r in rows
        }


class TestResultsWriteBack:
    def test_results_sent_back_appear_for_the_school_and_round_trip_through_the_export(
        self, deployment: Deployment, tmp_path: Any
    ) -> None:
        keys = student_keys(haal(deployment))[:2]
        response = breng(deployment, [(keys[0], "E2E-1", 41), (keys[1], "E2E-2", 37)])
        assert response.status_code == 200, response.content
        assert soap_payload(response.content).tag == f"{{{LR_NS}}}leerresultaten_bevestiging"
        env = koppelvlak_env(
            str(deployment.engine.url.render_as_string(hide_password=False)), tmp_path
        )
        listed = run_cli("results", "list", "--brin", "99XX", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        rows = {r["result_key"]: r for r in json.loads(listed.stdout)}
        assert (rows["E2E-1"]["score"], rows["E2E-2"]["score"]) == (41, 37)
        with Session(deployment.engine) as session:
            las_keys = set(session.scalars(select(Student.source_key)))
        assert {rows["E2E-1"]["student_key"], rows["E2E-2"]["student_key"]} <= las_keys
        exported = run_cli("results", "export", "--brin", "99XX", "--format", "uwlr", env=env)
        assert exported.returncode == 0, exported.stderr
        document = etree.fromstring(exported.stdout.encode())
        assert_valid(document, uwlr_schema("UWLR_Leerresultaten_v2p2.xsd"))
        scores = {
            r.get("key"): (
                r.getparent().getparent().findtext("lr:leerlingid", namespaces=NS),
                r.findtext("lr:score", namespaces=NS),
            )  # type: ignore[union-attr]
            for r in document.iterfind(".//lr:resultaat", NS)
        }
        assert scores["E2E-1"] == (rows["E2E-1"]["student_key"], "41")
        assert scores["E2E-2"] == (rows["E2E-2"]["student_key"], "37")
        as_csv = run_cli("results", "export", "--brin", "99XX", "--format", "csv", env=env)
        assert as_csv.returncode == 0, as_csv.stderr
        csv_rows = {r["result_key"]: r for r in read_csv(as_csv.stdout)}
        assert (csv_rows["E2E-1"]["student_key"], csv_rows["E2E-1"]["score"]) == (
            rows["E2E-1"]["student_key"],
            "41",
        )

    def test_a_result_for_a_student_the_provider_cannot_see_is_leerlingongeldig(
        self, deployment: Deployment
    ) -> None:
        before = deployment.count("result_score")
        response = breng(deployment, [("not-a-pseudonym", "E2E-X", 1)])
        assert_fault(
            response,
            "Client.LeerlingOngeldig",
            "leerlingid not-a-pseudonym is not a student this connection may see (toetsafname 1)",
        )
        assert deployment.count("result_score") == before

    def test_a_score_that_is_not_a_number_is_scoreongeldig(self, deployment: Deployment) -> None:
        keys = student_keys(haal(deployment))[:1]
        body = breng_raw(deployment, keys[0]).replace(
            b"<lr:score>5</lr:score>", b"<lr:score>X</lr:score>"
        )
        before = deployment.count("result_score")
        response = httpx.post(deployment.base + "/uwlr/v2/leerresultaten", content=body)
        assert_fault(response, "Client.ScoreOngeldig")
        assert deployment.count("result_score") == before

    @pytest.mark.parametrize("score", [3_000_000_000, 10**30])
    def test_a_score_larger_than_koppelvlak_stores_is_scoreongeldig_and_nothing_is_stored(
        self, deployment: Deployment, score: int
    ) -> None:
        keys = student_keys(haal(deployment))[:1]
        body = breng_raw(deployment, keys[0]).replace(
            b"<lr:score>5</lr:score>", f"<lr:score>{score}</lr:score>".encode()
        )
        before = (deployment.count("result_score"), deployment.count("result_batch"))
        response = httpx.post(deployment.base + "/uwlr/v2/leerresultaten", content=body)
        assert_fault(
            response,
            "Client.ScoreOngeldig",
            f"score {score} of resultaat RAW-1 (toetsafname 1) is larger than 2147483647, "
            "the largest score Koppelvlak stores",
        )
        assert (deployment.count("result_score"), deployment.count("result_batch")) == before

    def test_an_aanmaakdatum_python_cannot_hold_is_a_client_fault(
        self, deployment: Deployment
    ) -> None:
        keys = student_keys(haal(deployment))[:1]
        body = breng_raw(deployment, keys[0]).replace(
            b"2026-11-20T10:00:00", b"2026-11-20T24:00:00"
        )
        before = deployment.count("result_batch")
        response = httpx.post(deployment.base + "/uwlr/v2/leerresultaten", content=body)
        assert_fault(
            response,
            "Client.OngeldigBericht",
            "aanmaakdatum 2026-11-20T24:00:00 cannot be used: 24:00:00 is not accepted; "
            "send 00:00:00 of the next day",
        )
        assert deployment.count("result_batch") == before
