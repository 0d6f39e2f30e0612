"""The public register pages: ``/register`` (HTML, Dutch, English with ``?lang=en``) and
``/register.json`` (the versioned ``koppelvlak-register/1`` document). No login.

The data comes from ``registers.public``; this module only picks the language and renders. The
page uses its own self-contained template (inline CSS, no CDN, no script) so it stands apart
from the admin UI's layout, and a strict Content-Security-Policy says so to the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, JSONResponse

from koppelvlak.kit.clock import utcnow
from koppelvlak.registers import public
from koppelvlak.runtime import Runtime

router = APIRouter(tags=["public register"])

Lang = Literal["nl", "en"]
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
}


def _session(request: Request) -> Iterator[Session]:
    runtime: Runtime = request.app.state.runtime
    with runtime.unit_of_work() as work:
        yield work


SessionDep = Annotated[Session, Depends(_session)]
LangQuery = Annotated[Lang, Query(description="Page language: nl (default) or en.")]

_WORDS: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Openbaar register van koppelpartners",
        "language": "Taal",
        "intro": "Elke geaccrediteerde leverancier, de apps die zij aanbiedt en per app welke "
        "gegevens zij vraagt, waarvoor, op welke grondslag en hoe lang zij ze bewaart. "
        "Dit register zegt niets over leerlingen, ouders of medewerkers van scholen.",
        "generated": "Bijgewerkt",
        "json": "Dit register als JSON",
        "kvk": "KvK-nummer",
        "privacy_statement": "Privacyverklaring",
        "accredited_since": "Geaccrediteerd sinds",
        "covenant": "Privacyconvenant ondertekend",
        "agreement": "Verwerkersovereenkomst",
        "version": "versie",
        "app": "App",
        "purpose": "Doel",
        "lawful_basis": "Grondslag",
        "retention": "Bewaartermijn",
        "about": "Over",
        "dataset_version": "Gegevensset, versie",
        "since": "sinds",
        "attributes_of": "Gegevens die gevraagd worden door",
        "attribute": "Gegeven",
        "meaning": "Betekenis",
        "category": "Categorie",
        "needed": "Nodig",
        "required": "verplicht",
        "optional": "optioneel (de school kan het uitzetten)",
        "sensitive": "gevoelig",
        "no_dataset": "Deze app vraagt (nog) geen gegevens.",
        "empty": "Er zijn nog geen geaccrediteerde leveranciers.",
        "bases": {
            "consent": "toestemming",
            "contract": "overeenkomst",
            "legal_duty": "wettelijke verplichting",
            "vital_interest": "vitaal belang",
            "public_task": "taak van algemeen belang",
            "legitimate_interest": "gerechtvaardigd belang",
        },
    },
    "en": {
        "title": "Public register of connected providers",
        "language": "Language",
        "intro": "Every accredited provider, the apps it offers and, per app, which data it "
        "asks for, why, on which lawful basis and for how long it keeps them. This register "
        "says nothing about the students, parents or staff of any school.",
        "generated": "Updated",
        "json": "This register as JSON",
        "kvk": "Chamber of Commerce number",
        "privacy_statement": "Privacy statement",
        "accredited_since": "Accredited since",
        "covenant": "Privacy covenant signed",
        "agreement": "Processing agreement",
        "version": "version",
        "app": "App",
        "purpose": "Purpose",
        "lawful_basis": "Lawful basis",
        "retention": "Retention",
        "about": "About",
        "dataset_version": "Dataset, version",
        "since": "since",
        "attributes_of": "Data asked for by",
        "attribute": "Attribute",
        "meaning": "Meaning",
        "category": "Category",
        "needed": "Needed",
        "required": "required",
        "optional": "optional (the school can switch it off)",
        "sensitive": "sensitive",
        "no_dataset": "This app asks for no data (yet).",
        "empty": "There are no accredited providers yet.",
        "bases": {
            "consent": "consent",
            "contract": "contract",
            "legal_duty": "legal obligation",
            "vital_interest": "vital interest",
            "public_task": "public task",
            "legitimate_interest": "legitimate interest",
        },
    },
}
_ENTITIES = {
    "nl": {"students": "leerlingen", "staff": "medewerkers", "groups": "groepen"},
    "en": {"students": "students", "staff": "staff", "groups": "groups"},
}
_UNITS = {
    "nl": {
        "Y": ("jaar", "jaar"),
        "M": ("maand", "maanden"),
        "W": ("week", "weken"),
        "D": ("dag", "dagen"),
    },
    "en": {
        "Y": ("year", "years"),
        "M": ("month", "months"),
        "W": ("week", "weeks"),
        "D": ("day", "days"),
    },
}
_PART = re.compile(r"(\d+)([YMWD])")


def duration(value: str, lang: str) -> str:
    """An ISO 8601 duration such as ``P1Y6M`` in words: "1 jaar en 6 maanden"."""
    parts = _PART.findall(value)
    if not value.startswith("P") or not parts:
        return value
    units = _UNITS[lang]
    words = [f"{n} {units[u][0] if n == '1' else units[u][1]}" for n, u in parts]
    joiner = " en " if lang == "nl" else " and "
    return joiner.join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]


def _entity(value: str, lang: str) -> str:
    return _ENTITIES[lang].get(value, value)


_templates = Environment(
    loader=PackageLoader("koppelvlak.registers", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["duration"] = duration
_templates.filters["entity"] = _entity


@router.get("/register", response_class=HTMLResponse, summary="The public register (HTML)")
def register_page(work: SessionDep, lang: LangQuery = "nl") -> HTMLResponse:
    register = public.public_register(work, utcnow())
    other = (
        {"href": "/register", "lang": "nl", "label": "Nederlands"}
        if lang == "en"
        else {"href": "/register?lang=en", "lang": "en", "label": "English"}
    )
    page = _templates.get_template("public.html").render(
        register=register, lang=lang, t=_WORDS[lang], other=other
    )
    return HTMLResponse(page, headers=_HEADERS)


@router.get("/register.json", summary="The public register (koppelvlak-register/1)")
def register_json(work: SessionDep) -> JSONResponse:
    document = public.document(public.public_register(work, utcnow()))
    return JSONResponse(document, headers=_HEADERS)
