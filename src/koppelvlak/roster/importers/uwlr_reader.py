"""Read the children of one UWLR record element, checked, in one pass.

``uwlr_records`` knows what a school, group, student or teacher holds; this reader knows how
children are found: by namespace URI and local name (never by prefix), in schema order (out of
order is tolerated with a warning), at most once unless repeatable, empty ones warned about.

It is the hot loop of a 50,000-student import (ADR 0070), so a record kind is compiled once
into a ``Kind``: a table from the child's Clark tag straight to its schema position. Reading a
record is then one pass over its children into a list of slots and one pass over the text
fields; locations and messages are only built when something is wrong.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from koppelvlak.roster.importers.errors import ImportFailed, at
from koppelvlak.roster.importers.snapshot import Warnings
from koppelvlak.roster.importers.values import check_length, parse_date

LG_NS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
LG_PREFIX = "{" + LG_NS + "}"
LG_PREFIX_LENGTH = len(LG_PREFIX)
REPEATABLE = frozenset(["rol", "rolomschrijving"])


def positions(order: tuple[str, ...]) -> dict[str, int]:
    return {name: index for index, name in enumerate(order)}


def local(tag: object) -> str:
    """The local name of a Clark-notation tag (string slicing: QName objects are slow)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace(tag: object) -> str | None:
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1 : tag.index("}")]
    return None


class Kind:
    """One record kind compiled for reading: schema order, Clark tag → position, text fields.

    ``texts`` maps the children read as text to their length limit (``None``: no limit, the
    value is a code or a date checked by the caller); children not listed there are only
    looked at by the caller (references, presence of fields that are not stored).
    """

    __slots__ = ("by_tag", "index", "order", "texts")

    def __init__(self, order: tuple[str, ...], texts: dict[str, int | None]) -> None:
        self.order = order
        self.index = positions(order)
        self.by_tag = {LG_PREFIX + name: i for i, name in enumerate(order)}
        self.texts = tuple((self.index[name], limit) for name, limit in texts.items())


class Reader:
    """One record element's children by position, with order, emptiness and repeats checked.

    The reader made by the parser (no element) is the context: source, warnings, today and a
    cache of dates already parsed (a board has a few thousand distinct birth dates).
    """

    __slots__ = ("dates", "element", "kind", "path", "slots", "source", "today", "warnings")

    def __init__(
        self,
        source: str,
        warnings: Warnings,
        today: date,
        *,
        path: str = "",
        element: etree._Element | None = None,
        dates: dict[str, date] | None = None,
    ) -> None:
        self.source = source
        self.warnings = warnings
        self.today = today
        self.path = path
        self.element = element
        self.dates: dict[str, date] = {} if dates is None else dates
        self.kind: Kind | None = None
        self.slots: list[etree._Element | None] = []

    def open(self, element: etree._Element, path: str, kind: Kind) -> Reader:
        reader = Reader(
            self.source, self.warnings, self.today, path=path, element=element, dates=self.dates
        )
        reader.kind = kind
        slots: list[etree._Element | None] = [None] * len(kind.order)
        reader.slots = slots
        by_tag = kind.by_tag
        last = -1
        out_of_order = False
        for child in element:
            index = by_tag.get(child.tag)  # a comment's tag (a function) has no entry
            if index is None:
                self._stray(child, path)
                continue
            if slots[index] is not None:
                name = kind.order[index]
                if name in REPEATABLE:
                    continue
                raise ImportFailed(
                    f"<{name}> appears more than once; expected at most one",
                    location=self.where(child, f"{path}/{name}"),
                )
            slots[index] = child
            if index < last:
                out_of_order = True
            else:
                last = index
        if out_of_order:
            self.warnings.add("children out of schema order (tolerated)", self.where(element, path))
        return reader

    def _stray(self, child: etree._Element, path: str) -> None:
        """A child that is not one of the kind's: another namespace or an unknown name."""
        tag = child.tag
        if not isinstance(tag, str):
            return
        if not tag.startswith(LG_PREFIX):
            self.warnings.add(
                f"element <{local(tag)}> in another namespace ignored", self.where(child, path)
            )
            return
        name = tag[LG_PREFIX_LENGTH:]
        self.warnings.add(f"unknown element <{name}> ignored", self.where(child, path))

    def texts(self) -> list[str | None]:
        """The stripped text of every text field by position (``None``: absent or empty)."""
        assert self.kind is not None
        slots = self.slots
        values: list[str | None] = [None] * len(slots)
        for index, limit in self.kind.texts:
            node = slots[index]
            if node is None:
                continue
            value = node.text
            if value is not None:
                value = value.strip()
            if not value:
                name = self.kind.order[index]
                self.warnings.add(f"empty <{name}/> ignored", self.here(name))
                continue
            if limit is not None and len(value) > limit:
                name = self.kind.order[index]
                check_length(value, limit, where=self.here(name), what=f"<{name}>")
            values[index] = value
        return values

    def child(self, name: str) -> etree._Element | None:
        assert self.kind is not None
        return self.slots[self.kind.index[name]]

    def where(self, element: etree._Element, path: str) -> str:
        return at(self.source, element.sourceline, path)

    def here(self, name: str | None = None) -> str:
        assert self.element is not None
        node = self.child(name) if name else None
        if node is not None:
            return at(self.source, node.sourceline, f"{self.path}/{name}")
        return at(self.source, self.element.sourceline, self.path)

    def date(self, value: str | None, name: str, *, past: bool = False) -> date | None:
        """A date field's text (from ``texts``) as a date, checked; parsed once per text."""
        if value is None:
            return None
        day = self.dates.get(value)
        if day is None:
            day = parse_date(value, where=lambda: self.here(name), what=f"<{name}>")
            self.dates[value] = day
        if past and day > self.today:
            parse_date(value, where=self.here(name), what=f"<{name}>", not_after=self.today)
        return day

    def has(self, name: str) -> bool:
        return self.child(name) is not None

    def key(self, node: etree._Element, what: str) -> str:
        value = node.get("key")
        if not value:
            raise ImportFailed(
                f'{what} has no key attribute; expected key="…"',
                location=self.where(node, self.path),
            )
        if len(value) > 256:
            check_length(value, 256, where=self.where(node, self.path), what=f"{what} key")
        return value
