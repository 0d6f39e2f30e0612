"""The fast path of the UWLR reader: lxml raises an event for records only, structure is checked
at the end, and anything unusual hands the file to the exact reader (ADR 0070).

The exact reader (``UwlrParser`` driven by every start and end event) checks the envelope, the
answer and the sections as they open, so its first error is always the first one in the file.
Most of its cost is the two events per child of a record that it then ignores. Here lxml's
``iterparse`` is filtered to the record tags, the ``<school>`` section and nothing else: a
record is read by the very same code (``UwlrParser.record``) when it ends, and the preceding
siblings it frees are checked to be records already read. Once the file is read, what is left
of the tree (envelope, answer, sections, the last record of each) is checked against the shape
a plain answer has. A file that is not exactly that — a syntax error, a refused record, an
element out of place, sections out of order, a SOAP fault, an answer with no data — returns
``None``, and the caller reads it again with the exact reader, which gives the same message at
the same place as before. So a clean file gives the same snapshot and warnings either way
(records are read by the same code in the same order), and a broken one the same error.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from koppelvlak.kit import safe_xml
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.importers.uwlr_parser import RECORDS, SECTIONS, SOAP11, UwlrParser
from koppelvlak.roster.importers.uwlr_reader import LG_PREFIX

_SECTION_BY_TAG = {LG_PREFIX + name: name for name in SECTIONS}
_RECORD_TAGS = {
    section: frozenset(LG_PREFIX + name for name in names) for section, names in RECORDS.items()
}
_SCHOOL = LG_PREFIX + "school"
_DATA = LG_PREFIX + "leerlinggegevens"
_ANSWER = LG_PREFIX + "leerlinggegevens_antwoord"
_ENVELOPE, _HEADER, _BODY = (f"{{{SOAP11}}}{name}" for name in ("Envelope", "Header", "Body"))
TAGS = sorted({_SCHOOL}.union(*_RECORD_TAGS.values()))


class _Unusual(Exception):
    """The file is not a plain answer: the exact reader must read it."""


def read(parser: UwlrParser, stream: object, digest: Callable[[], str]) -> Snapshot | None:
    """The snapshot of a plain answer, or ``None`` when the exact reader must read the file.

    ``stream`` is read from its current position; ``digest()`` gives the digest of the bytes
    read once the parse is done (the school's fingerprint).
    """
    events = safe_xml.iterparse(stream, events=("end",), tag=TAGS)  # type: ignore[arg-type]  # a duck-typed reader
    try:
        root, read_last = _records(parser, events)
        _check_shape(parser, root, read_last)
        return parser.finish(digest())
    except (_Unusual, ImportFailed, etree.XMLSyntaxError):
        return None


def _records(
    parser: UwlrParser, events: etree.iterparse
) -> tuple[etree._Element, dict[str, etree._Element]]:
    parser.kind = "leerlinggegevens"  # provisional: the shape is checked at the end
    current: etree._Element | None = None
    section = ""
    wanted: frozenset[str] = frozenset()
    read_last: dict[str, etree._Element] = {}  # section -> its last record read (kept alive)
    last: etree._Element | None = None
    for _event, element in events:
        parent = element.getparent()
        if parent is not current:
            found = _section_of(parent)
            if found is None:
                if element.tag == _SCHOOL and _is_data(parent):
                    parser.read_school(element)
                    read_last["school"] = element
                continue  # a reference inside a record: its record reads it
            current, section, last = parent, found, None
            wanted = _RECORD_TAGS.get(section, frozenset())
        if element.tag not in wanted:
            raise _Unusual
        # Free the records before this one; anything else before it is out of place.
        while element.getprevious() is not None:
            first = parent[0]
            if first is not last and isinstance(first.tag, str):
                raise _Unusual
            del parent[0]
        parser.record(section, element)
        last = read_last[section] = element
    return events.root, read_last


def _section_of(parent: etree._Element | None) -> str | None:
    if parent is None:
        return None
    name = _SECTION_BY_TAG.get(parent.tag)
    if name is None or name == "school" or not _is_data(parent.getparent()):
        return None
    return name


def _is_data(node: etree._Element | None) -> bool:
    if node is None or node.tag != _DATA:
        return False
    answer = node.getparent()
    return answer is not None and answer.tag == _ANSWER


def _elements(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _check_shape(
    parser: UwlrParser, root: etree._Element, read_last: dict[str, etree._Element]
) -> None:
    """What is left of the tree is a plain answer: one answer with data, known sections in
    schema order, each holding nothing but the record read last."""
    answer = root
    if root.tag == _ENVELOPE:
        children = _elements(root)
        if children and children[0].tag == _HEADER:
            children = children[1:]
        if len(children) != 1 or children[0].tag != _BODY:
            raise _Unusual
        inside = _elements(children[0])
        if len(inside) != 1:
            raise _Unusual
        answer = inside[0]
    if answer.tag != _ANSWER:
        raise _Unusual
    data = _elements(answer)
    if len(data) != 1 or data[0].tag != _DATA:
        raise _Unusual
    seen: list[str] = []
    for node in _elements(data[0]):
        name = _SECTION_BY_TAG.get(node.tag)
        if name is None or (seen and SECTIONS.index(name) <= SECTIONS.index(seen[-1])):
            raise _Unusual  # unknown, repeated or out of order: the exact reader words it
        seen.append(name)
        if name == "school":
            if read_last.get("school") is not node:
                raise _Unusual
            continue
        left = _elements(node)
        if left and (len(left) > 1 or read_last.get(name) is not left[0]):
            raise _Unusual
    parser.seen_sections = seen
