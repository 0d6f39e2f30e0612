"""The official UWLR files: shipped in the package unchanged, overridable, checked before use."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from koppelvlak.api.uwlr.schemas import (
    BUNDLED,
    LEERLINGGEGEVENS_WSDL,
    LEERRESULTATEN_XSD,
    UwlrFilesMissing,
    locate,
    verify,
)

SOURCE = BUNDLED.parent / "SOURCE.txt"


def _listed() -> dict[str, tuple[str, int]]:
    """``path -> (sha256, bytes)`` from the attribution file's table of files."""
    rows = {}
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("v2p2/"):
            path, sha256, size, *_ = (cell.strip() for cell in line.split("|"))
            rows[path] = (sha256, int(size))
    return rows


def _copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled set in the ``<dir>/v2p2`` layout an operator would use."""
    shutil.copytree(BUNDLED, tmp_path / "v2p2")
    return tmp_path


class TestBundledFiles:
    def test_without_a_setting_the_files_come_from_the_package(self) -> None:
        assert locate(None).root == BUNDLED

    def test_every_file_is_byte_identical_to_the_published_one(self) -> None:
        listed = _listed()
        assert len(listed) == 17
        for path, (sha256, size) in listed.items():
            data = (BUNDLED.parent / path).read_bytes()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha256, size), path

    def test_no_file_is_shipped_without_its_source(self) -> None:
        shipped = {
            str(path.relative_to(BUNDLED.parent)) for path in BUNDLED.rglob("*") if path.is_file()
        }
        assert shipped == set(_listed())

    def test_the_attribution_names_the_publisher_and_the_terms(self) -> None:
        text = SOURCE.read_text(encoding="utf-8")
        assert "Edustandaard (www.edustandaard.nl)" in text
        assert "W3C Software License" in text
        assert "does not modify them" in text

    def test_both_schemas_compile_and_both_wsdls_parse_offline(self) -> None:
        assert verify(None).root == BUNDLED


class TestOverride:
    def test_a_folder_holding_v2p2_is_used_instead_of_the_bundled_files(
        self, tmp_path: Path
    ) -> None:
        assert locate(_copy(tmp_path)).root == tmp_path / "v2p2"

    def test_the_v2p2_folder_itself_may_be_named(self, tmp_path: Path) -> None:
        assert locate(_copy(tmp_path) / "v2p2").root == tmp_path / "v2p2"

    def test_a_folder_without_the_files_is_refused_not_replaced_by_the_bundled_ones(
        self, tmp_path: Path
    ) -> None:
        with pytest.raises(UwlrFilesMissing) as caught:
            locate(tmp_path)
        assert caught.value.detail == (
            f"the official UWLR 2.2 files are missing (KOPPELVLAK_UWLR_DIR={tmp_path}): "
            "it needs wsdl/ and Schemas/ (or v2p2/ holding them); unset it to use the bundled files"
        )
        assert caught.value.status == 503


class TestVerify:
    def test_a_schema_that_does_not_compile_is_named(self, tmp_path: Path) -> None:
        folder = _copy(tmp_path)
        broken = folder / "v2p2" / "Schemas" / LEERRESULTATEN_XSD
        broken.write_bytes(broken.read_bytes().replace(b"</xs:schema>", b""))
        with pytest.raises(UwlrFilesMissing) as caught:
            verify(folder)
        assert caught.value.detail.startswith(
            f"the UWLR schema {LEERRESULTATEN_XSD} does not compile: "
        )

    def test_a_missing_wsdl_is_named(self, tmp_path: Path) -> None:
        folder = _copy(tmp_path)
        (folder / "v2p2" / "wsdl" / LEERLINGGEGEVENS_WSDL).unlink()
        with pytest.raises(UwlrFilesMissing) as caught:
            verify(folder)
        assert caught.value.detail.startswith(
            f"the UWLR WSDL {LEERLINGGEGEVENS_WSDL} cannot be read: "
        )
