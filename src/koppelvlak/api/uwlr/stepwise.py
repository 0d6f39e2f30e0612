"""Stepwise ("getrapt") retrieval: the same release as HaalLeerlinggegevens, in three parts.

Large schools are fetched in steps (the ``bndLeerlinggegevens-getrapt`` binding of the official
2.2 WSDL): ``HaalStructuur`` gives the school and its groups, then ``HaalLeerlingen`` and
``HaalLeerkrachten`` give the students and teachers of the groups asked for. Each step renders
from the release with the all-in-one renderer, so a person, a group and every reference look
exactly as in a ``leerlinggegevens_antwoord``; only the root element and the selection differ.

Selection, as the schema's annotations define it: ``<groep key="K"/>`` asks for the people
whose stamgroep is K, ``<samengestelde_groep key="K"/>`` for the members of composite group K;
without a key, for the people bound to no stamgroep (resp. no composite group). A key the
provider was never sent matches nobody. Nobody selected, or another school year, is
``geengegevens``; ``laatstontvangengegevens`` with nothing changed is ``geenwijzigingen``, as in
the all-in-one answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from koppelvlak.api.uwlr.envelope import GroupRef
from koppelvlak.api.uwlr.mapping import Answer, Renderer, answer
from koppelvlak.api.uwlr.profiles import rendered_attributes
from koppelvlak.release.values import Release, ReleasedPerson, ReleasedSchool

GROEP = "groep"


def render_structuur(
    release: Release,
    school: ReleasedSchool,
    *,
    profile: str | None,
    xsd_version: str,
    last_received: datetime | None,
    school_year: str | None,
) -> Answer:
    """``structuur_antwoord``: the school and the groups the provider may see (no people)."""
    renderer = Renderer(release, school, profile, with_eckid=xsd_version != "2.1")
    root = "structuur_antwoord"
    students = renderer.people(release.students, "student.")
    exception = renderer.exception(students, school_year, last_received, root=root)
    if exception is not None:
        return exception
    out = ["<leerlinggegevens-structuur>"]
    renderer.school_block(out)
    renderer.groups_block(out)
    out.append("</leerlinggegevens-structuur>")
    attributes = _only(rendered_attributes(release.attribute_ids, profile), "group.")
    return answer(out, "leerlinggegevens-structuur", frozenset(), attributes, root=root)


def render_leerlingen(
    release: Release,
    school: ReleasedSchool,
    groups: tuple[GroupRef, ...],
    *,
    profile: str | None,
    xsd_version: str,
    last_received: datetime | None,
    school_year: str | None,
) -> Answer:
    """``leerlingen_antwoord``: the students of the groups asked for, with their references."""
    renderer = Renderer(release, school, profile, with_eckid=xsd_version != "2.1")
    root = "leerlingen_antwoord"
    everyone = renderer.people(release.students, "student.")
    chosen = [p for p in everyone if _selected(renderer, p, groups, student=True)]
    exception = renderer.exception(chosen, school_year, last_received, root=root)
    if exception is not None:
        return exception
    out = ["<leerlinggegevens-leerlingen>"]
    renderer.school_block(out)
    renderer.students_block(out, chosen)
    out.append("</leerlinggegevens-leerlingen>")
    attributes = _people_attributes(release, profile, "student.", renderer.with_eckid)
    shown = frozenset(p.person_id for p in chosen)
    return answer(out, "leerlinggegevens-leerlingen", shown, attributes, root=root)


def render_leerkrachten(
    release: Release,
    school: ReleasedSchool,
    groups: tuple[GroupRef, ...],
    *,
    profile: str | None,
    xsd_version: str,
    last_received: datetime | None,
    school_year: str | None,
) -> Answer:
    """``leerkrachten_antwoord``: the teachers of the groups asked for, with their groups."""
    renderer = Renderer(release, school, profile, with_eckid=xsd_version != "2.1")
    root = "leerkrachten_antwoord"
    students = renderer.people(release.students, "student.")
    staff = renderer.people(release.staff, "staff.")
    chosen = [p for p in staff if _selected(renderer, p, groups, student=False)]
    # Nobody chosen is geengegevens; so is a school with no released students, as in the
    # all-in-one answer (which cannot be sent without students).
    exception = renderer.exception(
        students if chosen else [], school_year, last_received, root=root
    )
    if exception is not None:
        return exception
    out = ["<leerlinggegevens-leerkrachten>"]
    renderer.school_block(out)
    renderer.staff_block(out, chosen)
    out.append("</leerlinggegevens-leerkrachten>")
    attributes = _people_attributes(release, profile, "staff.", renderer.with_eckid)
    shown = frozenset(p.person_id for p in chosen)
    return answer(out, "leerlinggegevens-leerkrachten", shown, attributes, root=root)


def _selected(
    renderer: Renderer, person: ReleasedPerson, groups: Iterable[GroupRef], *, student: bool
) -> bool:
    """Whether any entry of the request's ``groepen`` names this person."""
    class_groups = renderer.class_groups_of(person)
    if student:
        class_groups = class_groups[:1]  # a student is sent with one stamgroep (the schema)
    composites = renderer.composites_of(person)
    for ref in groups:
        mine = class_groups if ref.kind == GROEP else composites
        if (ref.key is None and not mine) or (ref.key is not None and ref.key in mine):
            return True
    return False


def _people_attributes(
    release: Release, profile: str | None, prefix: str, with_eckid: bool
) -> frozenset[str]:
    attributes = _only(rendered_attributes(release.attribute_ids, profile), prefix)
    return attributes if with_eckid else attributes - {f"{prefix}eckid"}


def _only(attribute_ids: frozenset[str], prefix: str) -> frozenset[str]:
    return frozenset(a for a in attribute_ids if a.startswith(prefix))
