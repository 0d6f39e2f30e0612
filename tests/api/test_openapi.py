"""The served OpenAPI document is the committed one (docs/provider/openapi.json).

To accept a deliberate change:
``KOPPELVLAK_WRITE_OPENAPI=1 .venv/bin/pytest tests/api/test_openapi.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.runtime import Runtime
from tests.support.oneroster_client import OWN_DOCUMENT
from tests.support.oneroster_schema import BASE_PATH, official


def generated(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'o.db'}", key_file=tmp_path / "k")
    document: dict[str, Any] = create_app(Runtime.from_settings(settings)).openapi()
    return json.loads(json.dumps(document))


class TestTheOpenApiDocument:
    def test_it_equals_the_committed_copy(self, tmp_path: Path) -> None:
        document = generated(tmp_path)
        if os.environ.get("KOPPELVLAK_WRITE_OPENAPI"):
            OWN_DOCUMENT.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        committed = json.loads(OWN_DOCUMENT.read_text(encoding="utf-8"))
        assert document == committed, "regenerate: see this module's docstring"

    def test_every_official_path_is_served_with_the_official_operation(
        self, tmp_path: Path
    ) -> None:
        paths = generated(tmp_path)["paths"]
        for path, item in official()["paths"].items():
            ours = paths[BASE_PATH + path]["get"]
            theirs = item["get"]
            assert ours["operationId"] == theirs["operationId"]
            assert ours["parameters"] == theirs["parameters"]
            assert ours["security"] == theirs["security"]
            assert ours["responses"]["200"]["content"] == theirs["responses"]["200"]["content"]

    def test_the_token_endpoint_is_described(self, tmp_path: Path) -> None:
        document = generated(tmp_path)
        token = document["paths"]["/oauth/token"]["post"]
        assert set(token["responses"]) >= {"200", "400", "401", "429"}
        flows = document["components"]["securitySchemes"]["OAuth2CC"]["flows"]
        assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
