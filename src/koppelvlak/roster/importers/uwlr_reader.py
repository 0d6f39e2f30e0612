"""Read the children of one UWLR record element, checked, by name.

``uwlr_records`` knows what a school, group, student or teacher holds; this reader knows how
children are found: by namespace URI and local name (never by prefix), in schema order (out of
order is tolerated with a warning), at most once unless repeatable, empty ones warned about.
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


class Reader:
    """Reads one record element: its children by name, with order, emptiness and repeats checked."""

    __slots__ = ("children", "element", "path", "source", "today", "warnings")

    def __init__(
        self,
        source: str,
        warnings: Warnings,
        today: date,
        path: str = "",
        element: etree._Element | None = None,
    ) -> None:
        self.source = source
        self.warnings = warnings
        self.today = today
        self.path = path
        self.element = element
        self.children: dict[str, etree._Element] = {}

    def open(self, element: etree._Element, path: str, order: dict[str, int]) -> Reader:
        reader = Reader(self.source, self.warnings, self.today, path, element)
        children = reader.children
        last = -1
        out_of_order = False
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if not tag.startswith(LG_PREFIX):
                self.warnings.add(
                    f"element <{local(tag)}> in another namespace ignored",
                    self.where(child, path),
                )
                continue
            name = tag[LG_PREFIX_LENGTH:]
            index = order.get(name)
            if index is None:
                self.warnings.add(f"unknown element <{name}> ignored", self.where(child, path))
                continue
            if name in children:
                if name in REPEATABLE:
                    continue
                raise ImportFailed(
                    f"<{name}> appears more than once; expected at most one",
                    location=self.where(child, f"{path}/{name}"),
                )
            children[name] = child
            if index < last:
                out_of_order = True
            else:
                last = index
        if out_of_order:
            self.warnings.add("children out of schema order (tolerated)", self.where(element, path))
        return reader

    def where(self, element: etree._Element, path: str) -> str:
        return at(self.source, element.sourceline, path)

    def here(self, name: str | None = None) -> str:
        assert self.element is not None
        if name and name in self.children:
            return at(self.source, self.children[name].sourceline, f"{self.path}/{name}")
        return at(self.source, self.element.sourceline, self.path)

    def text(self, name: str, limit: int | None = None) -> str | None:
        node = self.children.get(name)
        if node is None:
            return None
        value = node.text
        if value is not None:
            value = value.strip()
        if not value:
            self.warnings.add(f"empty <{name}/> ignored", self.here(name))
            return None
        if limit is not None and len(value) > limit:
            check_length(value, limit, where=self.here(name), what=f"<{name}>")
        return value

    def date(self, name: str, *, past: bool = False) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        return parse_date(
            value,
            where=lambda: self.here(name),
            what=f"<{name}>",
            not_after=self.today if past else None,
        )

    def has(self, name: str) -> bool:
        return name in self.children

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
