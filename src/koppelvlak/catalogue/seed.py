"""The built-in catalogue: every shareable attribute and the default purposes.

Ids are a contract: the OneRoster and UWLR renderers, the register and the UI use them as they
are. ``student.bsn`` is listed only so a dataset that asks for it is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from koppelvlak.catalogue.models import Entity, LawfulBasis, Sensitivity


@dataclass(frozen=True)
class AttributeDefinition:
    id: str
    entity: Entity
    category: str  # personal-data category, as in db.pd
    sensitivity: Sensitivity
    description_nl: str
    description_en: str
    shareable: bool = True
    identifier: bool = False  # identifies the person outside the gateway (invariant 3)

    @property
    def sensitive(self) -> bool:
        return self.sensitivity is not Sensitivity.NORMAL


@dataclass(frozen=True)
class PurposeDefinition:
    code: str
    lawful_basis: LawfulBasis
    retention: str  # ISO 8601 duration
    description_nl: str
    description_en: str


_S, _T, _G = Entity.STUDENT, Entity.STAFF, Entity.GROUP
_N, _X = Sensitivity.NORMAL, Sensitivity.SENSITIVE

ATTRIBUTES: tuple[AttributeDefinition, ...] = (
    AttributeDefinition("student.given_name", _S, "name", _N, "Roepnaam", "Given (call) name"),
    AttributeDefinition("student.family_name", _S, "name", _N, "Achternaam", "Family name"),
    AttributeDefinition(
        "student.name_prefix", _S, "name", _N, "Voorvoegsel (tussenvoegsel)", "Name prefix"
    ),
    AttributeDefinition("student.first_names", _S, "name", _N, "Voornamen", "First names"),
    AttributeDefinition("student.initials", _S, "name", _N, "Voorletters", "Initials"),
    AttributeDefinition(
        "student.birth_date", _S, "birth_date", _X, "Geboortedatum", "Date of birth"
    ),
    AttributeDefinition("student.sex", _S, "demographic", _X, "Geslacht", "Sex"),
    AttributeDefinition("student.year_group", _S, "education", _N, "Leerjaar", "Year group"),
    AttributeDefinition(
        "student.eckid",
        _S,
        "identifier",
        _N,
        "ECK iD (keteninformatie-identificatie)",
        "ECK iD (chain identifier)",
        identifier=True,
    ),
    AttributeDefinition("student.email", _S, "contact", _N, "E-mailadres", "E-mail address"),
    AttributeDefinition("student.username", _S, "identifier", _N, "Gebruikersnaam", "Username"),
    AttributeDefinition(
        "student.source_key",
        _S,
        "identifier",
        _N,
        "Leerlingnummer in de leerlingadministratie",
        "Student key in the student administration system",
        identifier=True,
    ),
    AttributeDefinition(
        "student.groups", _S, "education", _N, "Groepslidmaatschappen", "Group memberships"
    ),
    AttributeDefinition(
        "student.bsn",
        _S,
        "special",
        Sensitivity.SPECIAL,
        "Burgerservicenummer: nooit te delen",
        "Citizen service number: never shareable",
        shareable=False,
        identifier=True,
    ),
    AttributeDefinition("staff.given_name", _T, "name", _N, "Roepnaam", "Given (call) name"),
    AttributeDefinition("staff.family_name", _T, "name", _N, "Achternaam", "Family name"),
    AttributeDefinition("staff.name_prefix", _T, "name", _N, "Voorvoegsel", "Name prefix"),
    AttributeDefinition("staff.initials", _T, "name", _N, "Voorletters", "Initials"),
    AttributeDefinition("staff.email", _T, "contact", _N, "E-mailadres", "E-mail address"),
    AttributeDefinition(
        "staff.eckid", _T, "identifier", _N, "ECK iD", "ECK iD (chain identifier)", identifier=True
    ),
    AttributeDefinition("staff.username", _T, "identifier", _N, "Gebruikersnaam", "Username"),
    AttributeDefinition("staff.role", _T, "education", _N, "Functie (rol)", "Role"),
    AttributeDefinition(
        "staff.groups", _T, "education", _N, "Groepslidmaatschappen", "Group memberships"
    ),
    AttributeDefinition("group.name", _G, "none", _N, "Groepsnaam", "Group name"),
    AttributeDefinition("group.description", _G, "none", _N, "Omschrijving", "Description"),
    AttributeDefinition(
        "group.year_group",
        _G,
        "none",
        _N,
        "Leerjaar van de groep (OneRoster: CEDS-grade in grades, het Nederlandse jaar in "
        "metadata nl.yearGroup)",
        "Year group of the group (OneRoster: CEDS grade in grades, the Dutch year in metadata "
        "nl.yearGroup)",
    ),
    AttributeDefinition(
        "group.kind",
        _G,
        "none",
        _N,
        "Soort groep (stamgroep, lesgroep, combinatiegroep). OneRoster stuurt classType en "
        "nl.groupKind alleen als de dataset dit gegeven vraagt; UWLR toont het altijd in de "
        "berichtstructuur (groep of samengestelde_groep), dat schrijft de standaard voor",
        "Kind of group (class group, teaching group, composite group). OneRoster sends classType "
        "and nl.groupKind only when the dataset lists this attribute; UWLR always shows it in "
        "the message structure (groep or samengestelde_groep), as the standard prescribes",
    ),
)

PURPOSES: tuple[PurposeDefinition, ...] = (
    PurposeDefinition(
        "learning_materials",
        LawfulBasis.PUBLIC_TASK,
        "P1Y",
        "Toegang tot en gebruik van digitaal leermateriaal",
        "Access to and use of digital learning materials",
    ),
    PurposeDefinition(
        "final_test",
        LawfulBasis.LEGAL_DUTY,
        "P2Y",
        "Afname van de doorstroomtoets in groep 8 (wettelijke plicht)",
        "Administering the primary school final test in group 8 (legal duty)",
    ),
    PurposeDefinition(
        "student_tracking",
        LawfulBasis.PUBLIC_TASK,
        "P5Y",
        "Leerlingvolgsysteem: toetsen en ontwikkeling volgen",
        "Student tracking system: tests and progress",
    ),
    PurposeDefinition(
        "homework_support",
        LawfulBasis.CONSENT,
        "P1Y",
        "Huiswerkondersteuning buiten de lessen (met toestemming)",
        "Homework support outside lessons (with consent)",
    ),
    PurposeDefinition(
        "school_administration",
        LawfulBasis.CONTRACT,
        "P1Y",
        "Uitvoering van de overeenkomst met de school (beheer, accounts)",
        "Performing the contract with the school (administration, accounts)",
    ),
)

ENTITY_TYPES = {Entity.STUDENT: "students", Entity.STAFF: "staff", Entity.GROUP: "groups"}
