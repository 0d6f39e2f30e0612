"""Hardened XML parsing for everything that comes from outside (LAS files, SOAP requests).

lxml with ``resolve_entities=False`` still *accepts* a DOCTYPE, an external DTD reference or
parameter entities without complaint, so we refuse any DOCTYPE outright before parsing, and
parse with no network, no DTD loading, no entity resolution and libxml2's default size limits
(never ``huge_tree``).
"""

from __future__ import annotations

import re
from typing import IO

from lxml import etree

from koppelvlak.errors import KoppelvlakError

# A DOCTYPE may only appear in the prolog; scan a generous head of the document in each of the
# encodings we accept, so "<!DOCTYPE" in UTF-16 is caught too.
_PROLOG_BYTES = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DOCTYPE_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


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


def refuse_doctype(head: bytes) -> None:
    """Raise UnsafeXml when the start of a document declares a DOCTYPE or an entity."""
    if _DOCTYPE.search(head) or any(marker in head for marker in _DOCTYPE_UTF16):
        raise UnsafeXml("a DOCTYPE or entity declaration is not allowed in this document")


def parse_bytes(data: bytes, *, max_bytes: int) -> etree._Element:
    """Parse a whole document held in memory, after the size and DOCTYPE checks."""
    if len(data) > max_bytes:
        raise UnsafeXml(f"the document is {len(data)} bytes; at most {max_bytes} are accepted")
    refuse_doctype(data[:_PROLOG_BYTES])
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as error:
        raise MalformedXml(
            f"not well-formed XML: {error.msg}", location=f"line {error.lineno}"
        ) from None
    if root is None:
        raise MalformedXml("the document is empty")
    return root


def iterparse(
    source: IO[bytes], *, events: tuple[str, ...] = ("end",), tag: str | None = None
) -> etree.iterparse:
    """A streaming parser with the same hardening as ``parser()``; check the prolog first."""
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
