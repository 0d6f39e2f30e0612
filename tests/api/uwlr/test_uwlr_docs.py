"""docs/provider/uwlr.md works as written against the demo (`koppelvlak demo`).

The XML examples are taken from the document itself. Only what the document tells the reader
to fill in is filled in: the demo key (``…your key…``) and the current school year (the
example names the year it was written in). The request and the results push must then be
accepted, and the example answer must be valid and shaped like the real one.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from lxml import etree
from sqlalchemy.orm import Session

from koppelvlak.results.service import list_results
from tests.api.uwlr.conftest import Deployment
from tests.support.uwlr import (
    NS,
    assert_valid,
    assert_valid_answer,
    soap_payload,
    uwlr_schema_2025plus,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "provider" / "uwlr.md"
BLOCKS = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
WRITTEN_YEAR = "2026-2027"


def example(root: str) -> str:
    """The one XML example of the document that holds this element."""
    found = [block for block in BLOCKS if f"{root}>" in block or f"{root} " in block]
    assert len(found) == 1, f"{root}: {len(found)} examples"
    return found[0]


def as_the_reader_fills_it_in(deployment: Deployment, text: str) -> bytes:
    key = deployment.demo_providers["Doorstroomtoets"]["uwlr"]["autorisatiesleutel"]
    assert text.count("…your key…") == 1
    return text.replace("…your key…", key).replace(WRITTEN_YEAR, deployment.school_year).encode()


def shape(element: etree._Element) -> list[str]:
    """Element names and attribute names, in document order, without values."""
    return [
        f"{etree.QName(e).localname}[{','.join(sorted(e.attrib))}]"
        for e in element.iter()
        if isinstance(e.tag, str)
    ]


class TestTheProviderGuide:
    def test_the_example_request_is_answered_with_data(self, deployment: Deployment) -> None:
        data = as_the_reader_fills_it_in(deployment, example("leer:leerlinggegevens_verzoek"))
        response = httpx.post(deployment.base + "/uwlr/v2/leerlinggegevens", content=data)
        assert response.status_code == 200, response.content
        antwoord = assert_valid_answer(response.content, profile="smalle_set")
        assert antwoord.find("lg:leerlinggegevens/lg:leerlingen/lg:leerling", NS) is not None

    def test_the_example_answer_is_valid_and_shaped_like_the_real_one(
        self, deployment: Deployment
    ) -> None:
        documented = etree.fromstring(example("leerlinggegevens_antwoord").encode())
        antwoord = soap_payload(etree.tostring(documented))
        assert_valid(antwoord, uwlr_schema_2025plus())
        data = as_the_reader_fills_it_in(deployment, example("leer:leerlinggegevens_verzoek"))
        real = soap_payload(
            httpx.post(deployment.base + "/uwlr/v2/leerlinggegevens", content=data).content
        )
        for path in ("lg:leerlinggegevens/lg:school", "lg:leerlinggegevens/lg:groepen"):
            assert shape(antwoord.find(path, NS)) == shape(real.find(path, NS)), path  # type: ignore[arg-type]
        first = "lg:leerlinggegevens/lg:leerlingen/lg:leerling"
        doc_student = antwoord.find(first, NS)
        assert doc_student is not None
        assert doc_student.get("key") == "000121"
        # The same student in the real answer (answers list students in sourcedId order).
        real_student = real.find(f"{first}[@key='000121']", NS)
        assert real_student is not None
        assert shape(doc_student) == shape(real_student)

    def test_the_example_results_push_is_stored_for_the_school(
        self, deployment: Deployment
    ) -> None:
        data = as_the_reader_fills_it_in(deployment, example("lr:leerresultaten_verzoek"))
        response = httpx.post(deployment.base + "/uwlr/v2/leerresultaten", content=data)
        assert response.status_code == 200, response.content
        with Session(deployment.engine) as session:
            rows = list_results(session, "99XX")
        assert ("DOORSTROOM-2027-000121", "000121", 212) in {
            (r.result_key, r.student_key, r.score) for r in rows
        }
