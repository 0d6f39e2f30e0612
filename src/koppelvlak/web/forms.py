"""Bounded form posts: read at most ``MAX_FORM_BYTES``, refuse more with 413, parse them plainly.

The school's forms are a few short fields; anything larger is a mistake or an attack, and is
refused before it is held in memory (by the declared length, or while streaming). Only
``application/x-www-form-urlencoded`` is accepted: no file uploads on these pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.requests import Request

from koppelvlak.errors import KoppelvlakError

MAX_FORM_BYTES = 16 * 1024
MAX_FIELD_CHARS = 2_000


class FormTooLarge(KoppelvlakError):
    status = 413
    title = "Form too large"


class FormRefused(KoppelvlakError):
    status = 415
    title = "Form refused"


@dataclass(frozen=True)
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))


async def read_form(request: Request) -> Form:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused("send the form as application/x-www-form-urlencoded")
    declared = request.headers.get("content-length")
    limit = f"the form is larger than {MAX_FORM_BYTES} bytes; nothing was changed"
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise FormTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge(limit)
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    if any(len(v) > MAX_FIELD_CHARS for values in parsed.values() for v in values):
        raise FormTooLarge(f"a field is longer than {MAX_FIELD_CHARS} characters; nothing changed")
    return Form(parsed)
