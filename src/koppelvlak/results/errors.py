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


class ScoreOutOfRange(KoppelvlakError):
    """A schema-valid ``score`` (any non-negative integer) larger than a stored score can be."""

    status = 422
    title = "Score out of range"
