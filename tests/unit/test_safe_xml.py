"""Hostile XML is refused before lxml ever sees a DTD, an entity or the network."""

from __future__ import annotations

import io

import pytest

from koppelvlak.kit.safe_xml import MalformedXml, UnsafeXml, iterparse, parse_bytes, refuse_doctype

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r/>"""


class TestRefusal:
    @pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
    def test_any_doctype_is_refused(self, document: bytes) -> None:
        with pytest.raises(UnsafeXml) as caught:
            parse_bytes(document, max_bytes=10_000)
        assert (
            caught.value.detail == "a DOCTYPE or entity declaration is not allowed in this document"
        )

    def test_a_doctype_in_utf16_is_refused_too(self) -> None:
        document = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r/>'.encode("utf-16")
        with pytest.raises(UnsafeXml):
            refuse_doctype(document)

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

    def test_the_streaming_parser_does_not_expand_entities(self) -> None:
        events = list(iterparse(io.BytesIO(b"<r><a>1</a><b>2</b></r>")))
        assert [element.tag for _event, element in events] == ["a", "b", "r"]
