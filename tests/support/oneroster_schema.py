"""The official 1EdTech OneRoster 1.2 document as a test oracle.

``body_errors`` validates one JSON body against a component schema (``format: uri`` and
``date-time`` checked); ``openapi_for(base_url)`` returns the document with its ``servers``
entry replaced by the test server, for openapi-core's request/response validation.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from koppelvlak.api.openapi import OFFICIAL as OFFICIAL_PATH

# The unmodified 1EdTech document (its provenance is in spec/SOURCE.txt); a test pins the digest.
OFFICIAL_SHA256 = "06cafc2234ae1cdc58a2fe8ea03a8e0a5bf57d0e39830468d9adf7cc16acd26f"
BASE_PATH = "/ims/oneroster/rostering/v1p2"


@cache
def official() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OFFICIAL_PATH.read_text(encoding="utf-8"))
    return document


def body_errors(schema_name: str, body: object) -> list[str]:
    """Every violation of ``#/components/schemas/<schema_name>`` by ``body``, as text."""
    schema = {"components": official()["components"]}
    schema["$ref"] = f"#/components/schemas/{schema_name}"
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def openapi_for(base_url: str) -> dict[str, Any]:
    document = copy.deepcopy(official())
    document["servers"] = [{"url": base_url.rstrip("/") + BASE_PATH}]
    return document
