"""Why a results message is refused; each maps to one UWLR fault code in the endpoint."""

from __future__ import annotations

from koppelvlak.errors import KoppelvlakError


class UnknownStudent(KoppelvlakError):
    """A ``leerlingid`` that names no student released to this connection."""

    status = 422
    title = "Unknown student"


class WrongSchool(KoppelvlakError):
    status = 403
    title = "Wrong school"
