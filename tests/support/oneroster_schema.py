"""The official 1EdTech OneRoster 1.2 document as a test oracle, plus the strict clients' rule.

``body_errors`` validates one JSON body against a component schema (``format: uri`` and
``date-time`` checked) and then applies the rule strict clients add to the schema: a *required*
string property must not be empty (``$.familyName: Expected a non-empty string``).
``openapi_for(base_url)`` returns the document with its ``servers`` entry replaced by the test
server, for openapi-core's request/response validation; ``response_schema`` names the schema of
a path's 200 answer, so the response hook can apply the strict rule to every body.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
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


def _resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = official()["components"]["schemas"][name]
    return schema


def _empty_required(schema: Mapping[str, Any], value: object, path: str) -> Iterator[str]:
    """Paths of required string properties whose value is ``""``, anywhere in ``value``."""
    schema = _resolve(schema)
    for part in schema.get("allOf", ()):
        yield from _empty_required(part, value, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _empty_required(schema["items"], item, f"{path}[{index}]")
    if not isinstance(value, Mapping):
        return
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name in schema.get("required", ()):
        is_string = name in properties and _resolve(properties[name]).get("type") == "string"
        if is_string and value.get(name) == "":
            yield f"{path}.{name}: Expected a non-empty string"
    for name, sub in properties.items():
        if name in value:
            yield from _empty_required(sub, value[name], f"{path}.{name}")


def strict_errors(schema: Mapping[str, Any], body: object) -> list[str]:
    """What a strict client adds to the schema: required strings are non-empty."""
    return list(_empty_required(schema, body, "$"))


def body_errors(schema_name: str, body: object) -> list[str]:
    """Every violation of ``#/components/schemas/<schema_name>`` by ``body``, as text."""
    schema = {"components": official()["components"]}
    schema["$ref"] = f"#/components/schemas/{schema_name}"
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    return errors + strict_errors({"$ref": schema["$ref"]}, body)


@cache
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    found = []
    for template in official()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        found.append((re.compile(pattern + "$"), template))
    # Literal segments first: ``/schools/{id}`` must not swallow ``/schools/x/classes``.
    return tuple(sorted(found, key=lambda pair: pair[1].count("{")))


def response_schema(path: str) -> Mapping[str, Any] | None:
    """The schema of the 200 answer of ``GET path`` (below the base path), if the path exists."""
    for pattern, template in _templates():
        if pattern.match(path):
            answers = official()["paths"][template].get("get", {}).get("responses", {})
            content = answers.get("200", {}).get("content", {})
            schema: Mapping[str, Any] | None = content.get("application/json", {}).get("schema")
            return schema
    return None


def openapi_for(base_url: str) -> dict[str, Any]:
    document = copy.deepcopy(official())
    document["servers"] = [{"url": base_url.rstrip("/") + BASE_PATH}]
    return document
