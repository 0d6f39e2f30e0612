"""UWLR 2.2/2.3 record elements (school, group, student, teacher) to snapshot records.

Tolerant where real LAS exports deviate harmlessly from the schema (children out of order, empty
elements: a warning), strict where a guess could corrupt the roster (a repeated single element,
an impossible date, an unknown code: the import is refused). National identifiers, ethnicity,
countries of birth, pupil weights and postcodes are read past and never stored (data minimisation).
"""

from __future__ import annotations

from lxml import etree

from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import (
    GroupRecord,
    StaffLink,
    StaffRecord,
    StudentLink,
    StudentRecord,
)
from koppelvlak.roster.importers.uwlr_reader import LG_PREFIX, REPEATABLE, Kind, Reader, local
from koppelvlak.roster.importers.values import (
    SEX_CODES,
    STAFF_ROLES,
    YEAR_GROUPS,
    check_code,
    check_length,
)

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
GROUP_ORDER = ("naam", "jaargroep", "omschrijving", "toevoegingen", "mutatiedatum")
NOT_STORED_SET = frozenset(NOT_STORED)
SEX_CODE_SET = frozenset(SEX_CODES)

STUDENT = Kind(
    STUDENT_ORDER,
    {
        **NAME_LIMITS,
        "geboortedatum": None,
        "geslacht": None,
        "start_ondw_jgr3": None,
        "jaargroep": None,
        "gebruikersnaam": 64,
        "emailadres": 256,
        "fotourl": 256,
        "instroomdatum": None,
        "uitstroomdatum": None,
    },
)
TEACHER = Kind(TEACHER_ORDER, {**NAME_LIMITS, "gebruikersnaam": 64, "emailadres": 256})
GROUP = Kind(GROUP_ORDER, {"naam": 200, "jaargroep": None, "omschrijving": 256})
# Positions in the student's slots, looked up once.
_S = STUDENT.index
(S_FAMILY, S_PREFIX, S_FIRST, S_INITIALS, S_GIVEN) = (_S[name] for name in NAME_ORDER)
S_BIRTH, S_SEX, S_GROUP3 = _S["geboortedatum"], _S["geslacht"], _S["start_ondw_jgr3"]
S_YEAR, S_GROUP, S_COMPOSITE = _S["jaargroep"], _S["groep"], _S["samengestelde_groepen"]
S_LOCATION, S_USERNAME, S_EMAIL = _S["vestiging"], _S["gebruikersnaam"], _S["emailadres"]
S_PHOTO, S_START, S_END = _S["fotourl"], _S["instroomdatum"], _S["uitstroomdatum"]
S_EXTRA = _S["toevoegingen"]
T_EMAIL, T_USERNAME = TEACHER.index["emailadres"], TEACHER.index["gebruikersnaam"]
T_GROUPS = TEACHER.index["groepen"]
S_NOT_STORED = slice(_S[NOT_STORED[0]], _S[NOT_STORED[-1]] + 1)
COMPOSITE_TAG = LG_PREFIX + "samengestelde_groep"


def _names(values: list[str | None], reader: Reader, what: str) -> None:
    """Refuse a person with neither a family name nor a call name (names sit first in order)."""
    if values[S_FAMILY] is None and values[S_GIVEN] is None:
        raise ImportFailed(
            f"{what} has neither <achternaam> nor <roepnaam>; expected at least one of them",
            location=reader.here(),
        )


def read_group(reader: Reader, element: etree._Element, composite: bool) -> GroupRecord:
    tag = "samengestelde_groep" if composite else "groep"
    key = reader.key(element, f"<{tag}>")
    r = reader.open(element, f"groepen/{tag}[@key={key!r}]", GROUP)
    name, year_group, description = r.texts()[:3]
    if name is None:
        reader.warnings.add(f"<{tag}> without <naam>: the key is used as name", r.here())
        name = key[:200]
    if year_group is not None:
        check_code(year_group, YEAR_GROUPS, where=lambda: r.here("jaargroep"), what="jaargroep")
    elif not composite:
        reader.warnings.add("<groep> without <jaargroep>", r.here())
    return GroupRecord(
        key=key,
        kind="composite_group" if composite else "class_group",
        name=name,
        description=description,
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
    r = reader.open(element, f"leerlingen/leerling[@key={key!r}]", STUDENT)
    if eckid is not None and len(eckid) > 256:
        check_length(eckid, 256, where=r.here, what="eckid")
    values = r.texts()
    _names(values, r, "<leerling>")
    sex = values[S_SEX]
    if sex is not None:
        if sex not in SEX_CODE_SET:
            check_code(sex, SEX_CODE_SET, where=lambda: r.here("geslacht"), what="geslacht")
        sex = SEX_CODES[sex]
    year_group = values[S_YEAR]
    if year_group is not None and year_group not in YEAR_GROUPS:
        check_code(year_group, YEAR_GROUPS, where=lambda: r.here("jaargroep"), what="jaargroep")
    slots = r.slots
    node = slots[S_GROUP]
    if node is not None:
        group_key = r.key(node, "<groep> reference")
        links.append(StudentLink(key, group_key))
        refs.append(("groep", group_key, node.sourceline, f"{r.path}/groep"))
    node = slots[S_COMPOSITE]
    if node is not None:
        _composites(r, node, key, links, refs)
    location_key = None
    node = slots[S_LOCATION]
    if node is not None:
        location_key = r.key(node, "<vestiging> reference")
        refs.append(("vestiging", location_key, node.sourceline, f"{r.path}/vestiging"))
    if slots[S_NOT_STORED].count(None) != len(NOT_STORED):
        for name in NOT_STORED:
            if r.has(name):
                reader.warnings.add(
                    f"<{name}> not stored (data minimisation: Koppelvlak keeps no national "
                    "identifiers, ethnicity, countries of birth, pupil weights or postcodes)",
                    r.here(name),
                )
    if slots[S_EXTRA] is not None:
        reader.warnings.add(
            "<toevoegingen> ignored (no concrete UWLR type)", r.here("toevoegingen")
        )
    date_of = r.date
    record = StudentRecord(
        key,
        eckid,
        values[S_FAMILY],
        values[S_PREFIX],
        values[S_GIVEN],
        values[S_FIRST],
        values[S_INITIALS],
        date_of(values[S_BIRTH], "geboortedatum", past=True),
        sex,
        year_group,
        values[S_EMAIL],
        values[S_USERNAME],
        date_of(values[S_GROUP3], "start_ondw_jgr3"),
        date_of(values[S_START], "instroomdatum"),
        date_of(values[S_END], "uitstroomdatum"),
        location_key,
        values[S_PHOTO],
    )
    return record, keyless


def _composites(
    r: Reader, node: etree._Element, key: str, links: list[StudentLink], refs: list[Ref]
) -> None:
    seen: set[str] = set()
    for child in node:
        if child.tag != COMPOSITE_TAG and (
            not isinstance(child.tag, str) or local(child.tag) != "samengestelde_groep"
        ):
            continue
        group_key = r.key(child, "<samengestelde_groep> reference")
        if group_key in seen:
            r.warnings.add("a composite group is referenced twice", r.where(child, r.path))
            continue
        seen.add(group_key)
        links.append(StudentLink(key, group_key))
        path = f"{r.path}/samengestelde_groepen/samengestelde_groep"
        refs.append(("samengestelde_groep", group_key, child.sourceline, path))


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
    r = reader.open(element, f"leerkrachten/leerkracht[@key={key!r}]", TEACHER)
    values = r.texts()
    _names(values, r, "<leerkracht>")
    codes, texts = _roles(r, element)
    if len(codes) > 1 or len(texts) > 1:
        reader.warnings.add("a teacher with several roles: the first <rol> is kept", r.here())
    if r.has("groepen"):
        seen: set[str] = set()
        for node in r.slots[T_GROUPS]:  # type: ignore[union-attr]  # has() said it is there
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
        key,
        eckid,
        values[S_FAMILY],
        values[S_PREFIX],
        values[S_GIVEN],
        values[S_FIRST],
        values[S_INITIALS],
        values[T_EMAIL],
        values[T_USERNAME],
        codes[0] if codes else None,
        texts[0] if texts else None,
    )
