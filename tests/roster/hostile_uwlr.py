"""Hostile and broken UWLR inputs, each with the exact message a school admin sees.

Shared by the reader tests (the message) and the service tests (the database stays unchanged).
"""

from __future__ import annotations

from tests.roster.conftest import GROUPS, LG_NS, SCHOOL, STUDENTS, TEACHERS, uwlr

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_BODY = uwlr().split(b"\n", 1)[1]
_AT = "export.xml, line 2, "
_STUDENT = _AT + "leerlingen/leerling[@key='000121']"
_NOOR = _AT + "leerlingen/leerling[@key='121']"
_GROUP_REF = "expected the key of a listed group"

HOSTILE: dict[str, tuple[bytes, str]] = {
    "a DOCTYPE with entities (billion laughs)": (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"\n" + _BODY,
        "export.xml, line 1: a DOCTYPE or entity declaration is not allowed; expected plain UWLR "
        "XML without one",
    ),
    "an external DTD": (
        b'<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "http://evil.example/x.dtd">\n' + _BODY,
        "export.xml, line 1: a DOCTYPE or entity declaration is not allowed; expected plain UWLR "
        "XML without one",
    ),
    "a DOCTYPE after 70,000 spaces": (
        b'<?xml version="1.0"?>' + b" " * 70_000 + b'<!DOCTYPE x [<!ENTITY a "b">]>\n' + _BODY,
        "export.xml, line 1: a DOCTYPE or entity declaration is not allowed; expected plain UWLR "
        "XML without one",
    ),
    "a DOCTYPE in UTF-32 without a byte-order mark": (
        ('<!DOCTYPE x [<!ENTITY a "b">]>\n' + _BODY.decode()).encode("utf-32-be"),
        "export.xml, line 1: a DOCTYPE or entity declaration is not allowed; expected plain UWLR "
        "XML without one",
    ),
    "UTF-16 without a byte-order mark under a UTF-8 declaration": (
        uwlr().decode().encode("utf-16-le"),
        "export.xml, line 1: the file is UTF-16 without a byte-order mark; expected UTF-8, "
        "ISO-8859-1, or UTF-16 with a byte-order mark",
    ),
    "ISO-8859-1 bytes under a UTF-8 declaration": (
        uwlr(students=STUDENTS.replace("Jansen", "Jans\u00e9n")).replace(
            "Jans\u00e9n".encode(), "Jans\u00e9n".encode("latin-1")
        ),
        "export.xml, line 2: wrong encoding (Invalid bytes in character encoding at column 562); "
        "expected bytes in the encoding the XML declaration names (UTF-8 when it names none)",
    ),
    "a truncated file": (
        uwlr()[:-60],
        "export.xml, line 2: the XML is not well-formed (Opening and ending tag mismatch: "
        "leerkrachten line 2 and leerkr at column 1165); the file may be truncated or damaged",
    ),
    "an empty file": (
        b"",
        "export.xml: the file is empty; expected a UWLR leerlinggegevens_antwoord",
    ),
    "a wrong namespace": (
        uwlr().replace(LG_NS.encode(), b"http://example.org/other"),
        _AT + "leerlinggegevens_antwoord: <leerlinggegevens_antwoord> in namespace "
        "http://example.org/other is not a UWLR answer; expected <leerlinggegevens_antwoord> in "
        f"{LG_NS}, bare or in a SOAP 1.1 envelope",
    ),
    "the UWLR 1 namespace": (
        uwlr().replace(
            LG_NS.encode(), b"http://www.edustandaard.nl/leerresultaten/1/leerlinggegevens"
        ),
        _AT + "leerlinggegevens_antwoord: the UWLR 1 namespace "
        "http://www.edustandaard.nl/leerresultaten/1/leerlinggegevens is not supported; expected "
        f"UWLR 2.2 or 2.3 ({LG_NS})",
    ),
    "xsdversie 9.9": (
        uwlr(school=SCHOOL.replace(">2.2<", ">9.9<")),
        _AT + "school/xsdversie: xsdversie '9.9' is not supported; expected 2.2 or 2.3",
    ),
    "xsdversie 1.0": (
        uwlr(school=SCHOOL.replace(">2.2<", ">1.0<")),
        _AT + "school/xsdversie: xsdversie '1.0' is not supported; expected 2.2 or 2.3",
    ),
    "a SOAP 1.2 envelope": (
        uwlr(envelope=True).replace(ENV.encode(), b"http://www.w3.org/2003/05/soap-envelope"),
        _AT + "Envelope: a SOAP 1.2 envelope; expected SOAP 1.1 (UWLR uses 1.1)",
    ),
    "two answers in one SOAP body": (
        uwlr(envelope=True).replace(b"</soapenv:Body>", _BODY + b"</soapenv:Body>"),
        _AT + "Envelope/Body/leerlinggegevens_antwoord: the SOAP body holds more than one answer; "
        "expected exactly one",
    ),
    "data and geengegevens in one answer": (
        uwlr().replace(
            b"</le:leerlinggegevens></le:leerlinggegevens_antwoord>",
            b"</le:leerlinggegevens><le:geengegevens/></le:leerlinggegevens_antwoord>",
        ),
        _AT + "leerlinggegevens_antwoord/geengegevens: the answer holds <leerlinggegevens> and "
        "<geengegevens>; expected exactly one",
    ),
    "a duplicate student key": (
        uwlr(students=STUDENTS.replace('key="121"', 'key="000121"')),
        _STUDENT + ": student key '000121' appears twice; expected unique keys",
    ),
    "a duplicate group key": (
        uwlr(groups=GROUPS.replace('key="plus klas"', 'key="Groep 1/Ä"')),
        _AT + "groepen/samengestelde_groep[@key='Groep 1/Ä']: group key 'Groep 1/Ä' appears twice "
        "(groups and composite groups share one key space); expected unique keys",
    ),
    "a duplicate teacher key": (
        uwlr(
            teachers=TEACHERS.replace(
                "</le:leerkrachten>",
                '<le:leerkracht key="T1"><le:roepnaam>X</le:roepnaam></le:leerkracht>'
                "</le:leerkrachten>",
            )
        ),
        _AT + "leerkrachten/leerkracht[@key='T1']: teacher key 'T1' appears twice; expected "
        "unique keys",
    ),
    "a duplicate ECK iD": (
        uwlr(
            students=STUDENTS.replace('key="000121"', 'key="000121" eckid="E1"').replace(
                'key="121"', 'key="121" eckid="E1"'
            )
        ),
        _NOOR + ": ECK iD 'E1' belongs to students '000121' and '121'; expected unique ECK iDs",
    ),
    "a membership of an unknown group": (
        uwlr(
            students=STUDENTS.replace(
                'Noor</le:roepnaam><le:groep key="Groep 1/Ä"/>',
                'Noor</le:roepnaam><le:groep key="Groep 9Z"/>',
            )
        ),
        _NOOR
        + "/groep: <groep> reference 'Groep 9Z' points to no <groep> in <groepen>; "
        + _GROUP_REF,
    ),
    "a composite membership naming a class group": (
        uwlr(
            students=STUDENTS.replace(
                '<le:samengestelde_groep key="plus klas"/>',
                '<le:samengestelde_groep key="Groep 1/Ä"/>',
            )
        ),
        _STUDENT + "/samengestelde_groepen/samengestelde_groep: <samengestelde_groep> reference "
        "'Groep 1/Ä' points to no <samengestelde_groep> in <groepen>; " + _GROUP_REF,
    ),
    "a teacher in an unknown group": (
        uwlr(
            teachers=TEACHERS.replace(
                '<le:groepen><le:groep key="Groep 1/Ä">', '<le:groepen><le:groep key="nope">'
            )
        ),
        _AT + "leerkrachten/leerkracht[@key='T1']/groepen/groep: <groep> reference 'nope' points "
        "to no <groep> in <groepen>; " + _GROUP_REF,
    ),
    "an impossible date": (
        uwlr(students=STUDENTS.replace("2019-03-04", "2023-02-30")),
        _STUDENT + "/geboortedatum: <geboortedatum> '2023-02-30' is not a valid date (no such "
        "day); expected YYYY-MM-DD",
    ),
    "a date in another format": (
        uwlr(students=STUDENTS.replace("2019-03-04", "04-03-2019")),
        _STUDENT
        + "/geboortedatum: <geboortedatum> '04-03-2019' is not a date; expected YYYY-MM-DD",
    ),
    "a birth date in the future": (
        uwlr(students=STUDENTS.replace("2019-03-04", "2027-01-01")),
        _STUDENT + "/geboortedatum: <geboortedatum> 2027-01-01 lies in the future; expected a date "
        "on or before 2026-11-23",
    ),
    "an unknown sex code": (
        uwlr(students=STUDENTS.replace("<le:geslacht>1<", "<le:geslacht>3<")),
        _STUDENT + "/geslacht: unknown geslacht '3'; expected one of 0, 1, 2, 9",
    ),
    "an unknown year group": (
        uwlr(
            students=STUDENTS.replace(
                "<le:jaargroep>1</le:jaargroep><le:groep", "<le:jaargroep>9</le:jaargroep><le:groep"
            )
        ),
        _STUDENT + "/jaargroep: unknown jaargroep '9'; expected one of 0, 1, 2, 3, 4, 5, 6, 7, 8, "
        "11, 12, 13, 14, 15, 16, B, C, D, H, N, S, V",
    ),
    "an unknown teacher role": (
        uwlr(
            teachers=TEACHERS.replace(
                "<le:rol>LRK</le:rol><le:groepen>", "<le:rol>BOSS</le:rol><le:groepen>"
            )
        ),
        _AT + "leerkrachten/leerkracht[@key='T1']/rol: unknown rol 'BOSS'; expected one of ADJ, "
        "ADM, CON, DIR, IB, ICT, KLA, LOC, LOS, LRK, OUD, OWA, RT, SMW, STA, VAK",
    ),
    "a student without any name": (
        uwlr(students=STUDENTS.replace("<le:roepnaam>Noor</le:roepnaam>", "")),
        _NOOR
        + ": <leerling> has neither <achternaam> nor <roepnaam>; expected at least one of them",
    ),
    "a repeated name element": (
        uwlr(
            students=STUDENTS.replace(
                "<le:roepnaam>Noor</le:roepnaam>",
                "<le:roepnaam>Noor</le:roepnaam><le:roepnaam>Nora</le:roepnaam>",
            )
        ),
        _NOOR + "/roepnaam: <roepnaam> appears more than once; expected at most one",
    ),
    "a school without a BRIN code": (
        uwlr(
            school=SCHOOL.replace(
                "<le:brincode>99XX</le:brincode>", "<le:schoolkey>abc</le:schoolkey>"
            )
        ),
        _AT + "school: the school has no <brincode>; expected a BRIN code such as 99XX "
        "(Koppelvlak keys schools by BRIN and location)",
    ),
    "school years that do not follow each other": (
        uwlr(school=SCHOOL.replace("2024-2025", "2024-2026")),
        _AT + "school/schooljaar: school year '2024-2026' is not valid; expected two consecutive "
        "years such as 2024-2025",
    ),
    "no students at all": (
        uwlr(students="<le:leerlingen></le:leerlingen>"),
        "export.xml: <leerlingen> holds no <leerling>; expected at least one (a LAS with no "
        "students answers <geengegevens/>)",
    ),
    "a name longer than the standard allows": (
        uwlr(students=STUDENTS.replace("<le:roepnaam>Noor", "<le:roepnaam>" + "N" * 65)),
        _NOOR + "/roepnaam: <roepnaam> is 65 characters long; expected at most 64",
    ),
    "a student without a key": (
        uwlr(students=STUDENTS.replace(' key="121"', "")),
        _AT + 'leerlingen/leerling: <leerling> has no key attribute; expected key="…"',
    ),
    "a SOAP fault instead of an answer": (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
        b"<faultcode>s:Client.AutorisatieOngeldig</faultcode><faultstring>key invalid"
        b"</faultstring></s:Fault></s:Body></s:Envelope>",
        "export.xml, line 1, Envelope/Body/Fault: the LAS answered with a SOAP fault "
        "s:Client.AutorisatieOngeldig: key invalid",
    ),
}
