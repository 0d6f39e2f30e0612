"""UWLR end to end, stepwise retrieval: the getrapt binding of the official 2.2 WSDL.

zeep (official WSDL, binding ``bndLeerlinggegevens-getrapt``) sends HaalStructuur, then
HaalLeerlingen and HaalLeerkrachten per group; lxml with the official XSD judges every answer.
The steps together give exactly the people of HaalLeerlinggegevens, from the same release, and
each answer is a ledger entry like it.
"""

from __future__ import annotations

import httpx
from lxml import etree
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from tests.api.uwlr.conftest import Deployment
from tests.api.uwlr.soap_calls import assert_fault, getrapt, haal, ledger_entries
from tests.support.uwlr import (
    LG_NS,
    NS,
    assert_valid,
    envelope_schema,
    soap_payload,
    uwlr_schema_2025plus,
)

SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


def valid(response: httpx.Response, root: str) -> etree._Element:
    """The answer validates (whole envelope and payload, official XSD); its keys are unique."""
    assert response.status_code == 200, response.content
    assert_valid(etree.fromstring(response.content, SAFE), envelope_schema())
    payload = soap_payload(response.content)
    assert payload.tag == f"{{{LG_NS}}}{root}", payload.tag
    assert_valid(payload, uwlr_schema_2025plus())
    for xpath in (".//lg:leerling/@key", ".//lg:leerkracht/@key", ".//lg:groepen/*/@key"):
        found = payload.xpath(xpath, namespaces=NS)
        assert len(found) == len(set(found)), xpath
    return payload


def keys(element: etree._Element, xpath: str) -> set[str]:
    return {str(k) for k in element.xpath(xpath, namespaces=NS)}


class TestStepwiseRetrieval:
    def test_the_structure_holds_the_school_and_its_groups_and_nobody(
        self, deployment: Deployment
    ) -> None:
        before = ledger_entries(deployment)
        antwoord = valid(getrapt(deployment, "HaalStructuur"), "structuur_antwoord")
        structuur = antwoord.find("lg:leerlinggegevens-structuur", NS)
        assert structuur is not None
        assert structuur.findtext("lg:school/lg:brincode", namespaces=NS) == "99XX"
        assert keys(structuur, "lg:groepen/lg:groep/@key")
        assert structuur.find(".//lg:leerling", NS) is None
        assert ledger_entries(deployment) == before + 1
        with Session(deployment.engine) as session:
            last = audit.disclosures_for_provider(
                session, deployment.board_id, deployment.provider_id
            )[-1]
        assert (last.endpoint, len(last.person_ids)) == ("HaalStructuur", 0)
        assert last.attribute_ids
        assert all(a.startswith("group.") for a in last.attribute_ids)

    def test_students_group_by_group_are_exactly_the_students_of_the_all_in_one_answer(
        self, deployment: Deployment
    ) -> None:
        structuur = valid(getrapt(deployment, "HaalStructuur"), "structuur_antwoord")
        groups = keys(structuur, ".//lg:groepen/lg:groep/@key")
        composites = keys(structuur, ".//lg:groepen/lg:samengestelde_groep/@key")
        seen: set[str] = set()
        for group in sorted(groups):
            before = ledger_entries(deployment)
            antwoord = valid(
                getrapt(deployment, "HaalLeerlingen", [("groep", group)]), "leerlingen_antwoord"
            )
            students = keys(antwoord, ".//lg:leerling/@key")
            assert keys(antwoord, ".//lg:leerling/lg:groep/@key") == {group}
            assert keys(antwoord, ".//lg:samengestelde_groep/@key") <= composites
            assert not students & seen, "a student is in one stamgroep only"
            seen |= students
            assert ledger_entries(deployment) == before + 1
        without = getrapt(deployment, "HaalLeerlingen", [("groep", None)])
        if soap_payload(without.content).find("lg:geengegevens", NS) is None:
            seen |= keys(valid(without, "leerlingen_antwoord"), ".//lg:leerling/@key")
        everyone = keys(soap_payload(haal(deployment).content), ".//lg:leerling/@key")
        assert seen == everyone

    def test_teachers_of_a_group_are_those_the_all_in_one_answer_links_to_it(
        self, deployment: Deployment
    ) -> None:
        all_in_one = soap_payload(haal(deployment).content)
        group = sorted(keys(all_in_one, ".//lg:leerkracht/lg:groepen/lg:groep/@key"))[0]
        expected = keys(all_in_one, f".//lg:leerkracht[lg:groepen/lg:groep/@key='{group}']/@key")
        antwoord = valid(
            getrapt(deployment, "HaalLeerkrachten", [("groep", group)]), "leerkrachten_antwoord"
        )
        assert keys(antwoord, ".//lg:leerkracht/@key") == expected
        assert antwoord.find(".//lg:leerling", NS) is None

    def test_a_group_the_provider_was_never_sent_is_geengegevens(
        self, deployment: Deployment
    ) -> None:
        antwoord = valid(
            getrapt(deployment, "HaalLeerlingen", [("groep", "not-a-group-key")]),
            "leerlingen_antwoord",
        )
        assert antwoord.find("lg:geengegevens", NS) is not None

    def test_a_stepwise_call_with_a_wrong_key_is_refused_like_any_other(
        self, deployment: Deployment
    ) -> None:
        before = ledger_entries(deployment)
        assert_fault(
            getrapt(deployment, "HaalStructuur", key="wrong"),
            "Client.AutorisatieOngeldig",
            "the autorisatiesleutel is not valid for klantcode DEMO-EA",
        )
        assert ledger_entries(deployment) == before
