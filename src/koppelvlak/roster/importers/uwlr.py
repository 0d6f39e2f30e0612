"""Streaming reader of a UWLR 2.2/2.3 ``leerlinggegevens_antwoord``, bare or in a SOAP 1.1 envelope.

Memory stays flat for a 50,000-student file: lxml ``iterparse`` hands over one record at a time
and each is cleared once read. Prefixes never matter (elements are matched by namespace URI and
local name). Security first: the head is checked for UTF-16 without a byte-order mark, and the
prolog is parsed up to the root element to refuse any DOCTYPE, whatever stands before it and in
whatever encoding, before the real parse starts; the parser never loads a DTD, expands an
entity or touches the network, and keeps libxml2's default limits.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO

from lxml import etree

from koppelvlak.kit import safe_xml
from koppelvlak.kit.gc_pause import collector_paused
from koppelvlak.roster.importers import uwlr_fast
from koppelvlak.roster.importers.errors import ImportFailed, at
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.importers.uwlr_parser import UwlrParser, source_fingerprint

MAX_BYTES = 2 * 1024**3
HEAD_BYTES = 64 * 1024


DIGEST_SIZE = 24
CHUNK = 1024 * 1024


def file_digest(path: Path) -> str | None:
    """The digest of a file's bytes, as the reader computes it while parsing (``None``: the
    file cannot be read; the parse will say why)."""
    digest = hashlib.blake2b(digest_size=DIGEST_SIZE)
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def file_fingerprint(path: Path) -> str | None:
    """The fingerprint a snapshot read from this file would carry, without reading a record:
    what lets an unchanged file be skipped before it is parsed (ADR 0072)."""
    digest = file_digest(path)
    return None if digest is None else source_fingerprint(path.name, digest)


class _Counting:
    """A byte stream that reports how far the parser has read (for the progress bar) and
    digests what it read (the school's fingerprint, see ``SchoolSnapshot.fingerprint``)."""

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self.stream = stream
        self.progress = progress
        self.done = 0
        self.digest = hashlib.blake2b(digest_size=DIGEST_SIZE)

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.done += len(chunk)
        if self.progress is not None:
            self.progress(self.done)
        return chunk


def parse_uwlr(
    path: Path, *, today: date, progress: Callable[[int], None] | None = None
) -> Snapshot:
    """Read a UWLR file into a snapshot, or raise ImportFailed naming the line and element."""
    source = path.name
    try:
        size = path.stat().st_size
        stream = path.open("rb")
    except OSError as error:
        raise ImportFailed(f"cannot read the file: {error.strerror}", location=source) from None
    if size > MAX_BYTES:
        raise ImportFailed(
            f"the file is {size} bytes; expected at most {MAX_BYTES}", location=source
        )
    with stream, collector_paused():
        return parse_uwlr_stream(stream, source, today=today, progress=progress)


def parse_uwlr_stream(
    stream: IO[bytes],
    source: str,
    *,
    today: date,
    progress: Callable[[int], None] | None = None,
    exact: bool = False,
) -> Snapshot:
    """Read a plain answer by the fast path, anything else (or with ``exact``) by every event."""
    head = stream.read(HEAD_BYTES)
    check_head(head, source)
    stream.seek(0)
    refuse_dtd(stream, source)
    start = stream.tell()
    if not exact:
        counting = _Counting(stream, progress)
        fast = uwlr_fast.read(UwlrParser(source, today), counting, counting.digest.hexdigest)
        if fast is not None:
            return fast
    # Not a plain answer: the exact reader finds the first problem, as it always did.
    stream.seek(start)
    parser = UwlrParser(source, today)
    counting = _Counting(stream, progress)
    events = safe_xml.iterparse(counting, events=("start", "end"))  # type: ignore[arg-type]  # a duck-typed reader is what lxml wants
    try:
        depth = -1
        for event, element in events:
            # Elements inside a record are read by the record's reader, not event by event.
            if event == "start":
                depth += 1
                if depth <= parser.record_depth:
                    parser.start(element)
            else:
                if depth <= parser.record_depth:
                    parser.end(element)
                depth -= 1
    except etree.XMLSyntaxError as error:
        # With entity resolution off, libxml2's own message is in the error log, not in msg.
        log = error.error_log.filter_from_fatals()  # type: ignore[attr-defined]  # missing from lxml-stubs
        fatal = list(log)
        message = (
            f"{fatal[-1].message.strip()} at column {fatal[-1].column}" if fatal else error.msg
        )
        line = fatal[-1].line if fatal else error.lineno
        raise ImportFailed(_syntax(message), location=at(source, line)) from None
    return parser.finish(counting.digest.hexdigest())


def check_head(head: bytes, source: str) -> None:
    if not head.strip():
        raise ImportFailed(
            "the file is empty; expected a UWLR leerlinggegevens_antwoord", location=source
        )
    has_bom = head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not has_bom and len(head) >= 2 and (head[0] == 0) != (head[1] == 0):
        raise ImportFailed(
            "the file is UTF-16 without a byte-order mark; expected UTF-8, ISO-8859-1, or UTF-16 "
            "with a byte-order mark",
            location=at(source, 1),
        )


def refuse_dtd(stream: IO[bytes], source: str) -> None:
    try:
        safe_xml.refuse_dtd_in_stream(stream)
    except safe_xml.UnsafeXml:
        raise ImportFailed(
            "a DOCTYPE or entity declaration is not allowed; expected plain UWLR XML without one",
            location=at(source, 1),
        ) from None


def _syntax(message: str) -> str:
    if "encoding" in message.lower() or "UTF-8" in message:
        return (
            f"wrong encoding ({message}); expected bytes in the encoding the XML declaration "
            "names (UTF-8 when it names none)"
        )
    return f"the XML is not well-formed ({message}); the file may be truncated or damaged"
