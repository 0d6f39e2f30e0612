"""Hostile XML is refused on what the parser saw: a DOCTYPE anywhere, in any encoding.

The parser never loads a DTD, never expands an entity and never touches the network or the
file system; a document that declares a DOCTYPE at all is refused.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from koppelvlak.kit.safe_xml import (
    DTD_REFUSED,
    MalformedXml,
    UnsafeXml,
    iterparse,
    parse_bytes,
    refuse_dtd_in_stream,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r/>"""
BARE_DOCTYPE = b"<!DOCTYPE r><r/>"
AFTER_70000_SPACES = (
    b'<?xml version="1.0"?>' + b" " * 70_000 + b'<!DOCTYPE r [<!ENTITY x "y">]><r/>'
)
_DOCTYPE_TEXT = '<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'
IN_UTF32 = {
    "UTF-32 with a byte-order mark": _DOCTYPE_TEXT.encode("utf-32"),
    "UTF-32 big-endian without one": _DOCTYPE_TEXT.encode("utf-32-be"),
    "UTF-32 little-endian without one": _DOCTYPE_TEXT.encode("utf-32-le"),
    "UTF-16 with a byte-order mark": _DOCTYPE_TEXT.encode("utf-16"),
}
EVERY_DTD = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "external DTD": EXTERNAL_DTD,
    "bare DOCTYPE": BARE_DOCTYPE,
    "after 70,000 spaces": AFTER_70000_SPACES,
    **IN_UTF32,
}


class TestRefusal:
    @pytest.mark.parametrize("name", sorted(EVERY_DTD))
    def test_any_doctype_is_refused_wherever_it_stands_and_in_any_encoding(self, name: str) -> None:
        with pytest.raises(UnsafeXml) as caught:
            parse_bytes(EVERY_DTD[name], max_bytes=100_000)
        assert caught.value.detail == (
            "a DOCTYPE or entity declaration is not allowed in this document"
        )

    @pytest.mark.parametrize("name", sorted(set(EVERY_DTD) - {"UTF-32 with a byte-order mark"}))
    def test_a_stream_with_a_doctype_is_refused_and_rewound(self, name: str) -> None:
        stream = io.BytesIO(EVERY_DTD[name])
        with pytest.raises(UnsafeXml, match=DTD_REFUSED):
            refuse_dtd_in_stream(stream)
        assert stream.tell() == 0

    def test_a_stream_the_streaming_parser_cannot_read_is_left_to_the_real_parse(self) -> None:
        stream = io.BytesIO(IN_UTF32["UTF-32 with a byte-order mark"])
        refuse_dtd_in_stream(stream)  # libxml2's push parser cannot read UTF-32 with a BOM
        assert stream.tell() == 0
        with pytest.raises(etree.XMLSyntaxError):
            list(iterparse(stream))

    def test_a_plain_stream_passes_and_is_rewound(self) -> None:
        stream = io.BytesIO(b"<r><a>1</a></r>")
        refuse_dtd_in_stream(stream)
        assert stream.read() == b"<r><a>1</a></r>"

    def test_a_parameter_entity_never_reads_a_local_file(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret.dtd"
        secret.write_text('<!ENTITY leak "SECRET">')
        document = (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]><r>&leak;</r>'
        ).encode()
        with pytest.raises(UnsafeXml):
            parse_bytes(document, max_bytes=10_000)
        events = list(iterparse(io.BytesIO(document)))
        assert b"SECRET" not in etree.tostring(events[-1][1])

    def test_an_oversized_document_is_refused_before_parsing(self) -> None:
        with pytest.raises(UnsafeXml, match="at most 100 are accepted"):
            parse_bytes(b"<r>" + b"x" * 200 + b"</r>", max_bytes=100)

    def test_malformed_xml_names_the_line(self) -> None:
        with pytest.raises(MalformedXml) as caught:
            parse_bytes(b"<r>\n<a></r>", max_bytes=1000)
        assert caught.value.location == "line 2"


class TestParsing:
    def test_a_plain_document_parses(self) -> None:
        assert parse_bytes(b"<r><a>1</a></r>", max_bytes=1000).findtext("a") == "1"

    def test_a_plain_utf32_document_parses(self) -> None:
        document = "<r><a>é</a></r>".encode("utf-32")
        assert parse_bytes(document, max_bytes=1000).findtext("a") == "é"

    def test_the_streaming_parser_does_not_expand_entities(self) -> None:
        events = list(iterparse(io.BytesIO(b"<r><a>1</a><b>2</b></r>")))
        assert [element.tag for _event, element in events] == ["a", "b", "r"]
