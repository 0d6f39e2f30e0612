"""The registers as JSON, CSV and HTML: one rendering per format, for the CLI and the API alike."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from koppelvlak.registers.schemas import ProcessingRegister, StorageRegister

Format = Literal["json", "csv", "html"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}

_templates = Environment(
    loader=PackageLoader("koppelvlak.registers", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def processing(register: ProcessingRegister, form: Format) -> str:
    if form != "csv":
        return _document(register, form, "processing.html")
    rows = [
        [
            a.purpose,
            a.description_en,
            " | ".join(a.lawful_bases),
            " | ".join(a.retention),
            " | ".join(a.people),
            " | ".join(a.data_categories),
            " | ".join(a.attributes),
            " | ".join(f"{r.provider} ({r.app}, {r.school}, {r.state})" for r in a.recipients),
            " | ".join(a.safeguards),
        ]
        for a in register.activities
    ]
    header = [
        "purpose",
        "description",
        "lawful_basis",
        "retention",
        "categories_of_people",
        "categories_of_data",
        "attributes",
        "recipients",
        "safeguards",
    ]
    return _csv(header, rows)


def storage(register: StorageRegister, form: Format) -> str:
    if form != "csv":
        return _document(register, form, "storage.html")
    rows = [
        [t.table, t.why, *(" ".join(t.columns.get(label, ())) for label in register.labels)]
        for t in register.tables
    ]
    return _csv(["table", "why", *register.labels], rows)


def _document(register: ProcessingRegister | StorageRegister, form: Format, template: str) -> str:
    if form == "json":
        return json.dumps(dataclasses.asdict(register), indent=2, ensure_ascii=False)
    return _templates.get_template(template).render(register=register)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(_defused(row) for row in rows)
    return out.getvalue()


def _defused(row: list[str]) -> list[str]:
    """A cell that a spreadsheet would run as a formula starts with a quote instead."""
    return [f"'{cell}" if cell[:1] in {"=", "+", "-", "@"} else cell for cell in row]
