"""OneRoster failures, rendered as the spec's ``imsx_StatusInfoDType`` body (never problem+json).

The ``imsx_CodeMinor`` values are the ones the official 1.2 schema enumerates; the schema has no
``invalid_sort_field``, so a bad ``sort`` is ``invaliddata`` (docs/provider/oneroster.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from starlette.responses import JSONResponse


class CodeMinor(StrEnum):
    INVALID_FILTER_FIELD = "invalid_filter_field"
    INVALID_SELECTION_FIELD = "invalid_selection_field"
    INVALID_DATA = "invaliddata"
    UNAUTHORISED = "unauthorisedrequest"
    FORBIDDEN = "forbidden"
    SERVER_BUSY = "server_busy"
    UNKNOWN_OBJECT = "unknownobject"
    INTERNAL = "internal_server_error"


class OneRosterError(Exception):
    """A OneRoster request that cannot be answered; carries status, code minor and description."""

    def __init__(self, status: int, code_minor: CodeMinor, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description


def invalid_filter(description: str) -> OneRosterError:
    return OneRosterError(400, CodeMinor.INVALID_FILTER_FIELD, description)


def invalid_selection(description: str) -> OneRosterError:
    return OneRosterError(400, CodeMinor.INVALID_SELECTION_FIELD, description)


def invalid_data(description: str) -> OneRosterError:
    return OneRosterError(400, CodeMinor.INVALID_DATA, description)


def unknown_object(description: str) -> OneRosterError:
    return OneRosterError(404, CodeMinor.UNKNOWN_OBJECT, description)


def status_info(code_minor: CodeMinor, description: str) -> dict[str, object]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor.value,
                }
            ]
        },
    }


def status_response(
    status: int,
    code_minor: CodeMinor,
    description: str,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(status_info(code_minor, description), status_code=status, headers=headers)


def render(error: OneRosterError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return status_response(error.status, error.code_minor, error.description, headers)
