"""Where the official UWLR files come from, and the schemas compiled from them (offline, once).

The Edustandaard WSDL and XSD files are not copied into the package: they carry no reuse
licence (see ``shared/uwlr/SOURCE.txt``), so the operator points ``KOPPELVLAK_UWLR_DIR`` at a
folder holding ``v2p2/wsdl`` and ``v2p2/Schemas``. Without that setting a development checkout
finds ``shared/uwlr`` in one of its parent folders. The files are read as they are: the WSDL
is rewritten at request time (our address, our schema URLs), never on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from koppelvlak.errors import KoppelvlakError

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
LG_NS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
LR_NS = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten"
AUT_NS = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"

LEERLINGGEGEVENS_XSD = "UWLR_Leerlinggegevens_v2p2.xsd"
LEERRESULTATEN_XSD = "UWLR_Leerresultaten_v2p2.xsd"
LEERLINGGEGEVENS_WSDL = "UWLR_Leerlinggegevens_v2p2.wsdl"
LEERRESULTATEN_WSDL = "UWLR_Leerresultaten_v2p2.wsdl"
PROFILE_XSD = {
    "smalle_set": "profiel_smalle_set/Profiel_Smalle_set_UWLR_Leerlinggegevens_v2p2.xsd",
    "lvs_set": "profiel_lvs_set/Profiel_LVS_set_UWLR_Leerlinggegevens_v2p2.xsd",
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.]+\.xsd$")


class UwlrFilesMissing(KoppelvlakError):
    status = 503
    title = "UWLR schemas not configured"


class _NoNetwork(etree.Resolver):
    """Schemas import each other by relative path only; anything on the network is refused."""

    def resolve(self, system_url: str, public_id: str, context: object = None) -> None:
        url = system_url
        if url and url.startswith(("http:", "https:", "ftp:")):
            raise UwlrFilesMissing(f"a UWLR schema tried to fetch {url}; refused")


def _schema_parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_NoNetwork())
    return parser


@dataclass(frozen=True)
class UwlrFiles:
    """The ``v2p2`` folder of the official files: ``wsdl/`` and ``Schemas/`` side by side."""

    root: Path

    @property
    def schemas(self) -> Path:
        return self.root / "Schemas"

    @property
    def wsdl(self) -> Path:
        return self.root / "wsdl"

    def schema(self, relpath: str = LEERLINGGEGEVENS_XSD) -> etree.XMLSchema:
        return _compile(str(self.schemas / relpath))

    def schema_file(self, name: str) -> Path | None:
        """A top-level XSD by its bare file name (what our WSDL links to), or None."""
        if not _SAFE_NAME.match(name):
            return None
        path = self.schemas / name
        return path if path.is_file() else None


@lru_cache(maxsize=16)
def _compile(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path, _schema_parser()))


def _candidates(configured: Path | None) -> list[Path]:
    if configured is not None:
        return [configured]
    found: list[Path] = []
    for start in (Path.cwd(), Path(__file__).resolve()):
        found.extend(parent / "shared" / "uwlr" for parent in (start, *start.parents))
    return found


def locate(configured: Path | None) -> UwlrFiles:
    """The official files from the setting, else from a ``shared/uwlr`` above us (development)."""
    for candidate in _candidates(configured):
        root = candidate / "v2p2" if (candidate / "v2p2").is_dir() else candidate
        if (root / "Schemas" / LEERLINGGEGEVENS_XSD).is_file() and (root / "wsdl").is_dir():
            return UwlrFiles(root)
    where = str(configured) if configured else "no shared/uwlr folder found"
    raise UwlrFilesMissing(
        f"the official UWLR 2.2 files are missing ({where}); set KOPPELVLAK_UWLR_DIR"
    )


def wsdl_text(files: UwlrFiles, name: str, *, address: str, schema_base: str) -> bytes:
    """The official WSDL with our endpoint address and with imports pointing at our copies."""
    text = (files.wsdl / name).read_text(encoding="utf-8")
    text = re.sub(r'(<soap:address\s+location=")[^"]*"', rf'\g<1>{address}"', text)
    text = text.replace('schemaLocation="../Schemas/', f'schemaLocation="{schema_base}')
    return text.encode("utf-8")
