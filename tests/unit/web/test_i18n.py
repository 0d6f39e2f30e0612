"""The two catalogues say the same things: every key in Dutch is there in English and back."""

from __future__ import annotations

import re
from pathlib import Path

from koppelvlak.web import i18n

LITERAL = re.compile(r"""t\(["']([a-z_.]*[a-z_])["']\s*[,)]""")
TEMPLATES = Path(i18n.__file__).resolve().parent / "templates"


class TestCatalogues:
    def test_dutch_and_english_have_the_same_keys(self) -> None:
        assert set(i18n.NL) == set(i18n.EN)

    def test_every_literal_key_a_template_asks_for_exists(self) -> None:
        asked = {
            key
            for page in TEMPLATES.glob("*.html")
            for key in LITERAL.findall(page.read_text(encoding="utf-8"))
        }
        assert asked - set(i18n.NL) == set()

    def test_placeholders_match_between_the_languages(self) -> None:
        names = re.compile(r"{(\w+)}")
        assert {k: set(names.findall(v)) for k, v in i18n.NL.items()} == {
            k: set(names.findall(v)) for k, v in i18n.EN.items()
        }

    def test_the_translator_fills_in_values(self) -> None:
        assert i18n.translator("en")("scope.count", n=3, m=1) == (
            "3 students and 1 staff would be shared."
        )
        assert i18n.translator("xx")("logout") == "Uitloggen"
