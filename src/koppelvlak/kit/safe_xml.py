"""Hardened XML parsing for everything that comes from outside (LAS files, SOAP requests).

The parser never loads a DTD, never expands an entity, never uses the network and keeps
libxml2's default size limits (never ``huge_tree``). lxml configured like that still *accepts*
a DOCTYPE (it just ignores it), so any document that has one is refused — decided on what the
parser saw (its ``docinfo``), not on a byte prefix, so no amount of leading whitespace and no
encoding (UTF-32 with or without a byte-order mark included) hides a DOCTYPE from the check.
"""

from __future__ import annotations

from typing import IO

from lxml import etree

from koppelvlak.errors import KoppelvlakError

DTD_REFUSED = "a DOCTYPE or entity declaration is not allowed in this document"


class UnsafeXml(KoppelvlakError):
    title = "Unsafe XML"


class MalformedXml(KoppelvlakError):
    title = "Malformed XML"


def parser(*, remove_blank_text: bool = False) -> etree.XMLParser:
    """A parser that never reads a DTD, never expands entities and never uses the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=remove_blank_text,
        remove_comments=True,
        remove_pis=True,
    )


def has_dtd(element: etree._Element) -> bool:
    """Whether the document this element belongs to declared a DOCTYPE (internal or external)."""
    docinfo = element.getroottree().docinfo
    doctype = docinfo.doctype  # type: ignore[attr-defined]  # missing from lxml-stubs
    return bool(doctype) or docinfo.internalDTD is not None


def refuse_dtd(element: etree._Element) -> None:
    """Raise UnsafeXml when the parsed document declared a DOCTYPE or entities."""
    if has_dtd(element):
        raise UnsafeXml(DTD_REFUSED)


def parse_bytes(data: bytes, *, max_bytes: int) -> etree._Element:
    """Parse a whole document held in memory, after the size check; refuse any DOCTYPE."""
    if len(data) > max_bytes:
        raise UnsafeXml(f"the document is {len(data)} bytes; at most {max_bytes} are accepted")
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as error:
        raise MalformedXml(
            f"not well-formed XML: {error.msg}", location=f"line {error.lineno}"
        ) from None
    if root is None:
        raise MalformedXml("the document is empty")
    refuse_dtd(root)
    return root


def refuse_dtd_in_stream(source: IO[bytes]) -> None:
    """Read a seekable stream up to its root element's start tag and refuse a DOCTYPE there.

    A DOCTYPE can only stand before the root element, so the parser (configured as for the real
    parse: same encoding detection) stops at the first element; the stream is rewound after.
    A document the parser cannot read that far is left to the real parse to report.
    """
    start = source.tell()
    try:
        for _event, element in iterparse(source, events=("start",)):
            refuse_dtd(element)
            break
    except etree.XMLSyntaxError:
        pass
    finally:
        source.seek(start)


def iterparse(
    source: IO[bytes], *, events: tuple[str, ...] = ("end",), tag: str | None = None
) -> etree.iterparse:
    """A streaming parser with the same hardening as ``parser()``.

    It reports a DOCTYPE in ``docinfo`` but refuses nothing by itself: call
    ``refuse_dtd_in_stream`` first, or ``refuse_dtd`` on the first element it yields.
    """
    return etree.iterparse(
        source,
        events=events,
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
