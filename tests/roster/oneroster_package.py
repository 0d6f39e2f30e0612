"""A small OneRoster 1.2 CSV package written file by file, for the OneRoster import tests."""

from __future__ import annotations

import csv
from pathlib import Path

from koppelvlak.roster.importers.oneroster_spec import COLUMNS

ROWS: dict[str, list[dict[str, str]]] = {
    "orgs": [
        {"sourcedId": "d1", "name": "Stichting Test", "type": "district", "identifier": "B1"},
        {
            "sourcedId": "s1",
            "name": "De Regenboog",
            "type": "school",
            "identifier": "99XX",
            "parentSourcedId": "d1",
        },
    ],
    "academicSessions": [
        {
            "sourcedId": "y1",
            "title": "2024-2025",
            "type": "schoolYear",
            "startDate": "2024-08-01",
            "endDate": "2025-07-31",
            "schoolYear": "2025",
        },
    ],
    "courses": [
        {"sourcedId": "c1", "title": "Rooster", "schoolYearSourcedId": "y1", "orgSourcedId": "s1"}
    ],
    "classes": [
        {
            "sourcedId": "Groep 1/Ä",
            "title": "Groep 1A",
            "grades": "1",
            "courseSourcedId": "c1",
            "classType": "homeroom",
            "schoolSourcedId": "s1",
            "termSourcedIds": "y1",
        },
    ],
    "users": [
        {
            "sourcedId": "000121",
            "enabledUser": "true",
            "givenName": "Sem",
            "familyName": "Jansen",
            "middleName": "de",
            "agentSourcedIds": "p1",
            "grades": "1",
            "primaryOrgSourcedId": "s1",
        },
        {
            "sourcedId": "121",
            "enabledUser": "true",
            "givenName": "Noor",
            "primaryOrgSourcedId": "s1",
        },
        {
            "sourcedId": "t1",
            "enabledUser": "true",
            "givenName": "Ida",
            "familyName": "Bos",
            "primaryOrgSourcedId": "s1",
        },
        {
            "sourcedId": "p1",
            "enabledUser": "true",
            "givenName": "Eva",
            "familyName": "Jansen",
            "phone": "0612345678",
            "agentSourcedIds": "000121",
            "primaryOrgSourcedId": "s1",
        },
    ],
    "roles": [
        {
            "sourcedId": "r1",
            "userSourcedId": "000121",
            "roleType": "primary",
            "role": "student",
            "orgSourcedId": "s1",
        },
        {
            "sourcedId": "r2",
            "userSourcedId": "121",
            "roleType": "primary",
            "role": "student",
            "orgSourcedId": "s1",
        },
        {
            "sourcedId": "r3",
            "userSourcedId": "t1",
            "roleType": "primary",
            "role": "teacher",
            "orgSourcedId": "s1",
        },
        {
            "sourcedId": "r4",
            "userSourcedId": "p1",
            "roleType": "primary",
            "role": "parent",
            "orgSourcedId": "s1",
        },
    ],
    "enrollments": [
        {
            "sourcedId": "e1",
            "classSourcedId": "Groep 1/Ä",
            "schoolSourcedId": "s1",
            "userSourcedId": "000121",
            "role": "student",
            "primary": "false",
        },
        {
            "sourcedId": "e2",
            "classSourcedId": "Groep 1/Ä",
            "schoolSourcedId": "s1",
            "userSourcedId": "121",
            "role": "student",
            "primary": "false",
        },
        {
            "sourcedId": "e3",
            "classSourcedId": "Groep 1/Ä",
            "schoolSourcedId": "s1",
            "userSourcedId": "t1",
            "role": "teacher",
            "primary": "true",
        },
    ],
    "demographics": [{"sourcedId": "000121", "birthDate": "2019-03-04", "sex": "male"}],
}


def write_package(
    folder: Path,
    rows: dict[str, list[dict[str, str]]] | None = None,
    *,
    mode: str = "bulk",
    headers: dict[str, list[str]] | None = None,
    manifest: dict[str, str] | None = None,
) -> Path:
    """Write the package (``rows`` replace whole files; ``headers`` replace header lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    content = {**ROWS, **(rows or {})}
    for name, records in content.items():
        header = (headers or {}).get(name, list(COLUMNS[name]))
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for given in records:
                record = given
                if mode == "delta":
                    record = {
                        "status": "active",
                        "dateLastModified": "2025-05-01T10:00:00Z",
                        **record,
                    }
                writer.writerow([record.get(column, "") for column in header])
    entries = {"manifest.version": "1.0", "oneroster.version": "1.2"}
    entries |= {f"file.{name}": mode for name in content}
    entries |= manifest or {}
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["propertyName", "value"])
        writer.writerows(entries.items())
    return folder
