"""UWLR 2.2/2.3 record elements (school, group, student, teacher) to snapshot records.

Tolerant where real LAS exports deviate harmlessly from the schema (children out of order, empty
elements: a warning), strict where a guess could corrupt the roster (a repeated single element,
an impossible date, an unknown code: the import is refused). National identifiers, ethnicity,
countries of birth, pupil weights and postcodes are read past and never stored (data minimisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from koppelvlak.roster.importers.errors import ImportFailed, at
from koppelvlak.roster.importers.snapshot import (
    GroupRecord,
    StaffLink,
    StaffRecord,
    StudentLink,
    StudentRecord,
    Warnings,
)
from koppelvlak.roster.importers.values import (
    SEX_CODES,
    STAFF_ROLES,
    YEAR_GROUPS,
    check_code,
    check_length,
    parse_date,
)

LG_NS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
LG_PREFIX = "{" + LG_NS + "}"
LG_PREFIX_LENGTH = len(LG_PREFIX)
# A reference to check once the whole file is read: (kind, key, line, element path).
Ref = tuple[str, str, object, str]

NAME_ORDER = ("achternaam", "voorvoegsel", "voornamen", "voorletters-1", "roepnaam")
NAME_LIMITS = {"achternaam": 200, "voorvoegsel": 10, "voornamen": 200, "voorletters-1": 10}
NAME_LIMITS["roepnaam"] = 64
STUDENT_ORDER = (
    *NAME_ORDER,
    "geboortedatum",
    "geslacht",
    "start_ondw_jgr3",
    "jaargroep",
    "groep",
    "samengestelde_groepen",
    "vestiging",
    "gebruikersnaam",
    "emailadres",
    "fotourl",
    "etniciteit",
    "land",
    "land_vader",
    "land_moeder",
    "sofinummer",
    "bsn",
    "onderwijsnummer",
    "bsn_ondwnr-4",
    "rijksregisternummer",
    "gewicht_nieuw",
    "gewicht",
    "postcodenl",
    "postnummerbe",
    "postcodeoverig",
    "instroomdatum",
    "uitstroomdatum",
    "toevoegingen",
    "mutatiedatum",
)
NOT_STORED = STUDENT_ORDER[STUDENT_ORDER.index("etniciteit") : STUDENT_ORDER.index("instroomdatum")]
TEACHER_ORDER = (
    *NAME_ORDER,
    "gebruikersnaam",
    "emailadres",
    "rol",
    "rolomschrijving",
    "groepen",
    "toevoegingen",
    "mutatiedatum",
)
REPEATABLE = frozenset(["rol", "rolomschrijving"])


def positions(order: tuple[str, ...]) -> dict[str, int]:
    return {name: index for index, name in enumerate(order)}


GROUP_ORDER = ("naam", "jaargroep", "omschrijving", "toevoegingen", "mutatiedatum")
NOT_STORED_SET = frozenset(NOT_STORED)
SEX_CODE_SET = frozenset(SEX_CODES)

STUDENT_POSITIONS = positions(STUDENT_ORDER)
TEACHER_POSITIONS = positions(TEACHER_ORDER)
GROUP_POSITIONS = positions(GROUP_ORDER)


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


@dataclass
class Names:
    family_name: str | None
    name_prefix: str | None
    first_names: str | None
    initials: str | None
    given_name: str | None


def read_names(reader: Reader, what: str) -> Names:
    names = {name: reader.text(name, NAME_LIMITS[name]) for name in NAME_ORDER}
    if names["achternaam"] is None and names["roepnaam"] is None:
        raise ImportFailed(
            f"{what} has neither <achternaam> nor <roepnaam>; expected at least one of them",
            location=reader.here(),
        )
    return Names(
        names["achternaam"],
        names["voorvoegsel"],
        names["voornamen"],
        names["voorletters-1"],
        names["roepnaam"],
    )


def read_group(reader: Reader, element: etree._Element, composite: bool) -> GroupRecord:
    tag = "samengestelde_groep" if composite else "groep"
    key = reader.key(element, f"<{tag}>")
    r = reader.open(element, f"groepen/{tag}[@key={key!r}]", GROUP_POSITIONS)
    name = r.text("naam", 200)
    if name is None:
        reader.warnings.add(f"<{tag}> without <naam>: the key is used as name", r.here())
        name = key[:200]
    year_group = r.text("jaargroep")
    if year_group is not None:
        check_code(year_group, YEAR_GROUPS, where=lambda: r.here("jaargroep"), what="jaargroep")
    elif not composite:
        reader.warnings.add("<groep> without <jaargroep>", r.here())
    return GroupRecord(
        key=key,
        kind="composite_group" if composite else "class_group",
        name=name,
        description=r.text("omschrijving", 256),
        year_group=year_group,
    )


def read_student(
    reader: Reader,
    element: etree._Element,
    links: list[StudentLink],
    refs: list[Ref],
) -> tuple[StudentRecord, bool]:
    """A student, its group links (collected in ``links``) and whether it lacked a LAS key."""
    eckid = element.get("eckid") or None
    keyless = not element.get("key") and eckid is not None
    key = eckid if keyless and eckid else reader.key(element, "<leerling>")
    r = reader.open(element, f"leerlingen/leerling[@key={key!r}]", STUDENT_POSITIONS)
    if eckid is not None:
        check_length(eckid, 256, where=r.here, what="eckid")
    names = read_names(r, "<leerling>")
    sex = r.text("geslacht")
    if sex is not None:
        sex = SEX_CODES[
            check_code(sex, SEX_CODE_SET, where=lambda: r.here("geslacht"), what="geslacht")
        ]
    year_group = r.text("jaargroep")
    if year_group is not None:
        check_code(year_group, YEAR_GROUPS, where=lambda: r.here("jaargroep"), what="jaargroep")
    if r.has("groep"):
        node = r.children["groep"]
        group_key = r.key(node, "<groep> reference")
        links.append(StudentLink(key, group_key))
        refs.append(("groep", group_key, node.sourceline, f"{r.path}/groep"))
    if r.has("samengestelde_groepen"):
        seen: set[str] = set()
        for node in r.children["samengestelde_groepen"]:
            if not isinstance(node.tag, str) or local(node.tag) != "samengestelde_groep":
                continue
            group_key = r.key(node, "<samengestelde_groep> reference")
            if group_key in seen:
                reader.warnings.add("a composite group is referenced twice", r.where(node, r.path))
                continue
            seen.add(group_key)
            links.append(StudentLink(key, group_key))
            path = f"{r.path}/samengestelde_groepen/samengestelde_groep"
            refs.append(("samengestelde_groep", group_key, node.sourceline, path))
    location_key = None
    if r.has("vestiging"):
        location_key = r.key(r.children["vestiging"], "<vestiging> reference")
        node = r.children["vestiging"]
        refs.append(("vestiging", location_key, node.sourceline, f"{r.path}/vestiging"))
    for name in NOT_STORED if not NOT_STORED_SET.isdisjoint(r.children) else ():
        if r.has(name):
            reader.warnings.add(
                f"<{name}> not stored (data minimisation: Koppelvlak keeps no national "
                "identifiers, ethnicity, countries of birth, pupil weights or postcodes)",
                r.here(name),
            )
    if r.has("toevoegingen"):
        reader.warnings.add(
            "<toevoegingen> ignored (no concrete UWLR type)", r.here("toevoegingen")
        )
    record = StudentRecord(
        key=key,
        eckid=eckid,
        family_name=names.family_name,
        name_prefix=names.name_prefix,
        given_name=names.given_name,
        first_names=names.first_names,
        initials=names.initials,
        birth_date=r.date("geboortedatum", past=True),
        sex=sex,
        year_group=year_group,
        email=r.text("emailadres", 256),
        username=r.text("gebruikersnaam", 64),
        group3_start_date=r.date("start_ondw_jgr3"),
        enrolment_start=r.date("instroomdatum"),
        enrolment_end=r.date("uitstroomdatum"),
        location_key=location_key,
        photo_url=r.text("fotourl", 256),
    )
    return record, keyless


def _roles(r: Reader, node: etree._Element) -> tuple[list[str], list[str]]:
    codes: list[str] = []
    texts: list[str] = []
    for child in node:
        if not isinstance(child.tag, str):
            continue
        name = local(child.tag)
        if name not in REPEATABLE:
            continue
        value = (child.text or "").strip()
        where = r.where(child, f"{r.path}/{name}")
        if not value:
            r.warnings.add(f"empty <{name}/> ignored", where)
        elif name == "rol":
            codes.append(check_code(value, STAFF_ROLES, where=where, what="rol"))
        elif name == "rolomschrijving":
            texts.append(check_length(value, 64, where=where, what="<rolomschrijving>"))
    return codes, texts


def read_teacher(
    reader: Reader,
    element: etree._Element,
    links: list[StaffLink],
    refs: list[Ref],
) -> StaffRecord:
    key = reader.key(element, "<leerkracht>")
    eckid = element.get("eckid") or None
    r = reader.open(element, f"leerkrachten/leerkracht[@key={key!r}]", TEACHER_POSITIONS)
    names = read_names(r, "<leerkracht>")
    codes, texts = _roles(r, element)
    if len(codes) > 1 or len(texts) > 1:
        reader.warnings.add("a teacher with several roles: the first <rol> is kept", r.here())
    if r.has("groepen"):
        seen: set[str] = set()
        for node in r.children["groepen"]:
            if not isinstance(node.tag, str):
                continue
            kind = local(node.tag)
            if kind not in ("groep", "samengestelde_groep"):
                reader.warnings.add(f"unknown element <{kind}> ignored", r.where(node, r.path))
                continue
            group_key = r.key(node, f"<{kind}> reference")
            if group_key in seen:
                reader.warnings.add("a group is referenced twice", r.where(node, r.path))
                continue
            seen.add(group_key)
            group_codes, group_texts = _roles(r, node)
            role = ", ".join(group_codes + group_texts) or None
            if role is not None:
                check_length(role, 64, where=r.where(node, r.path), what="the roles in a group")
            links.append(StaffLink(key, group_key, role))
            refs.append((kind, group_key, node.sourceline, f"{r.path}/groepen/{kind}"))
    if r.has("toevoegingen"):
        reader.warnings.add(
            "<toevoegingen> ignored (no concrete UWLR type)", r.here("toevoegingen")
        )
    return StaffRecord(
        key=key,
        eckid=eckid,
        family_name=names.family_name,
        name_prefix=names.name_prefix,
        given_name=names.given_name,
        first_names=names.first_names,
        initials=names.initials,
        email=r.text("emailadres", 256),
        username=r.text("gebruikersnaam", 64),
        role=codes[0] if codes else None,
        role_description=texts[0] if texts else None,
    )
