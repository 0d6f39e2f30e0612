"""Where the official UWLR files come from, and the schemas compiled from them (offline, once).

The Edustandaard WSDL and XSD files ship unchanged inside the package (``official/v2p2``, with
their source and attribution in ``official/SOURCE.txt``), so an installation serves UWLR with
nothing beside it (ADR 0060). ``KOPPELVLAK_UWLR_DIR`` overrides them, e.g. with a 2.3 set in the
same ``wsdl/`` + ``Schemas/`` layout. The files are read as they are: the WSDL is rewritten at
request time (our address, our schema URLs), never on disk.
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
BUNDLED = Path(__file__).resolve().parent / "official" / "v2p2"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.]+\.xsd$")


class UwlrFilesMissing(KoppelvlakError):
    status = 503
    title = "UWLR files missing or unusable"


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


def locate(configured: Path | None) -> UwlrFiles:
    """The files the setting names (its ``v2p2`` folder or itself), else the bundled copy.

    A configured folder that lacks the files is an error, never a silent fall-back to the bundled
    set: an operator who asked for other files must not be served these without knowing.
    """
    candidate = BUNDLED if configured is None else configured
    root = candidate / "v2p2" if (candidate / "v2p2").is_dir() else candidate
    if (root / "Schemas" / LEERLINGGEGEVENS_XSD).is_file() and (root / "wsdl").is_dir():
        return UwlrFiles(root)
    if configured is None:
        raise UwlrFilesMissing(
            f"the official UWLR 2.2 files are missing from the package ({root}); reinstall it"
        )
    raise UwlrFilesMissing(
        f"the official UWLR 2.2 files are missing (KOPPELVLAK_UWLR_DIR={configured}): "
        "it needs wsdl/ and Schemas/ (or v2p2/ holding them); unset it to use the bundled files"
    )


def verify(configured: Path | None) -> UwlrFiles:
    """The files, with both message schemas compiled and both WSDLs parsed, or what is wrong.

    ``/readyz`` asks this, so a load balancer never sends clients to a process whose UWLR
    endpoints could only answer faults. Compiled schemas are cached: asking again is cheap.
    """
    files = locate(configured)
    for name in (LEERLINGGEGEVENS_XSD, LEERRESULTATEN_XSD):
        try:
            files.schema(name)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as error:
            raise UwlrFilesMissing(f"the UWLR schema {name} does not compile: {error}") from error
    for name in (LEERLINGGEGEVENS_WSDL, LEERRESULTATEN_WSDL):
        try:
            etree.parse(str(files.wsdl / name), _schema_parser())
        except (etree.XMLSyntaxError, OSError) as error:
            raise UwlrFilesMissing(f"the UWLR WSDL {name} cannot be read: {error}") from error
    return files


def wsdl_text(files: UwlrFiles, name: str, *, address: str, schema_base: str) -> bytes:
    """The official WSDL with our endpoint address and with imports pointing at our copies."""
    text = (files.wsdl / name).read_text(encoding="utf-8")
    text = re.sub(r'(<soap:address\s+location=")[^"]*"', rf'\g<1>{address}"', text)
    text = text.replace('schemaLocation="../Schemas/', f'schemaLocation="{schema_base}')
    return text.encode("utf-8")
