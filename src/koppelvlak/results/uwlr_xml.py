"""``leerresultaten_verzoek`` ⇄ ``ResultsMessage``: reading a validated push, writing an export.

Reading assumes the element already passed the official schema (the endpoint validates first);
writing produces a message that passes it again, so a school's LAS can import the export with
the same code it uses for UWLR pushes.
"""

from __future__ import annotations

import copy

from lxml import etree

from koppelvlak.kit.safe_xml import parser
from koppelvlak.kit.xsd_time import parse_date, parse_datetime
from koppelvlak.results.errors import ScoreOutOfRange
from koppelvlak.results.values import (
    ResultsMessage,
    ResultsSchool,
    Sitting,
    TestDefinition,
    TestResult,
)

LR_NS = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten"
OSO_NS = "http://www.edustandaard.nl/oso_gegevensset/1.2/dossier"
_NS = {"lr": LR_NS, "oso": OSO_NS}
# The schema's score is any non-negative integer; the score column is a 32-bit integer on every
# database we run on, so a larger score is refused (Client.ScoreOngeldig) instead of overflowing.
MAX_SCORE = 2**31 - 1


def _q(local: str) -> str:
    return f"{{{LR_NS}}}{local}"


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _fragment(element: etree._Element) -> str:
    """One element as standalone XML with only the namespaces it uses and no layout."""
    alone = copy.deepcopy(element)
    for node in alone.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    alone.tail = None
    etree.cleanup_namespaces(alone)
    return etree.tostring(alone, encoding="unicode", with_tail=False)


def read_message(root: etree._Element) -> ResultsMessage:
    school = root.find("lr:school", _NS)
    assert school is not None  # the schema requires it
    sittings = tuple(
        _sitting(s, n)
        for n, s in enumerate(root.iterfind("lr:toetsafnames/lr:toetsafname", _NS), start=1)
    )
    tests = tuple(
        TestDefinition(
            code=_text(toets, "lr:toetscode") or "",
            name=_text(toets, "lr:toetsnaam"),
            xml=_fragment(toets),
        )
        for toets in root.iterfind("lr:toetsen/lr:toets", _NS)
    )
    return ResultsMessage(school=_school(school), sittings=sittings, tests=tests)


def _school(element: etree._Element) -> ResultsSchool:
    return ResultsSchool(
        school_year=_text(element, "lr:schooljaar") or "",
        brin=_text(element, "lr:brincode"),
        location_code=_text(element, "lr:dependancecode") or "00",
        schoolkey=_text(element, "lr:schoolkey"),
        created_at=parse_datetime(_text(element, "lr:aanmaakdatum") or "", "aanmaakdatum"),
        author=_text(element, "lr:auteur"),
        xsd_version=_text(element, "lr:xsdversie") or "",
        comment=_text(element, "lr:commentaar"),
    )


def _sitting(element: etree._Element, number: int) -> Sitting:
    results = tuple(_result(r, number) for r in element.iterfind("lr:resultaten/lr:resultaat", _NS))
    return Sitting(
        student_key=_text(element, "lr:leerlingid") or "",
        eckid=_text(element, "lr:eckid"),
        processor_id=_text(element, "lr:resultaatverwerkerid"),
        results=results,
    )


def _result(element: etree._Element, sitting: int) -> TestResult:
    key = element.get("key", "")
    where = f"resultaat {key} (toetsafname {sitting})"
    return TestResult(
        key=key,
        taken_on=parse_date(_text(element, "lr:afnamedatum") or "", f"afnamedatum of {where}"),
        test_code=_text(element, "lr:toetscode") or "",
        part_code=_text(element, "lr:toetsonderdeelcode"),
        score=_score(_text(element, "lr:score"), where),
        skill_score=_text(element, "lr:osoresultaat/oso:toetsscore/oso:vaardigheidsscore"),
        xml=_fragment(element),
    )


def _score(text: str | None, where: str) -> int | None:
    if text is None:
        return None
    score = int(text)
    if score > MAX_SCORE:
        raise ScoreOutOfRange(
            f"score {text} of {where} is larger than {MAX_SCORE}, the largest score Koppelvlak "
            "stores"
        )
    return score


def write_message(message: ResultsMessage) -> etree._Element:
    """A ``leerresultaten_verzoek`` (default namespace) holding exactly this message."""
    root = etree.Element(_q("leerresultaten_verzoek"), nsmap={None: LR_NS})  # type: ignore[dict-item]  # None = default namespace
    school = etree.SubElement(root, _q("school"))
    s = message.school
    _add(school, "schooljaar", s.school_year)
    if s.brin:
        _add(school, "brincode", s.brin)
        _add(school, "dependancecode", s.location_code)
    else:
        _add(school, "schoolkey", s.schoolkey)
    _add(school, "aanmaakdatum", s.created_at.replace(microsecond=0).isoformat())
    _add(school, "auteur", s.author)
    _add(school, "xsdversie", s.xsd_version)
    _add(school, "commentaar", s.comment)
    afnames = etree.SubElement(root, _q("toetsafnames"))
    for sitting in message.sittings:
        afname = etree.SubElement(afnames, _q("toetsafname"))
        _add(afname, "leerlingid", sitting.student_key)
        _add(afname, "eckid", sitting.eckid)
        _add(afname, "resultaatverwerkerid", sitting.processor_id)
        resultaten = etree.SubElement(afname, _q("resultaten"))
        for result in sitting.results:
            resultaten.append(etree.fromstring(result.xml, parser()))
    toetsen = etree.SubElement(root, _q("toetsen"))
    for test in message.tests:
        toetsen.append(etree.fromstring(test.xml, parser()))
    etree.cleanup_namespaces(root)
    return root


def _add(parent: etree._Element, local: str, text: str | None) -> None:
    if text:
        etree.SubElement(parent, _q(local)).text = text
