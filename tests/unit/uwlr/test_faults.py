"""Every failure reaches the client as one SOAP 1.1 fault with a UWLR code and no detail leak."""

from __future__ import annotations

from koppelvlak.api.uwlr.faults import FaultCode, UwlrFault, fault_envelope, fault_for
from koppelvlak.errors import DatabaseUnavailable, Forbidden, NotFound
from tests.support.uwlr import fault_code, fault_string


class TestFaultFor:
    def test_a_temporary_outage_is_tijdelijk_niet_beschikbaar(self) -> None:
        fault = fault_for(DatabaseUnavailable("database unreachable: gone"))
        assert (fault.code, fault.detail) == (
            FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
            "database unreachable: gone",
        )

    def test_a_forbidden_connection_is_autorisatie_ongeldig(self) -> None:
        assert fault_for(Forbidden("connection x is revoked")).code is (
            FaultCode.AUTORISATIE_ONGELDIG
        )

    def test_another_client_error_is_ongeldig_bericht(self) -> None:
        assert fault_for(NotFound("no school 11ZZ-00")).code is FaultCode.ONGELDIG_BERICHT

    def test_an_unexpected_error_says_nothing_about_itself(self) -> None:
        fault = fault_for(RuntimeError("password=hunter2 in a traceback"))
        assert fault.code is FaultCode.INTERNE_FOUT
        assert fault.detail == "an internal error occurred; it was logged"


class TestEnvelope:
    def test_the_fault_is_a_valid_soap_1_1_fault_qualified_by_the_envelope(self) -> None:
        raw = fault_envelope(UwlrFault(FaultCode.LEERLING_ONGELDIG, "leerlingid x is unknown"))
        assert fault_code(raw) == "Client.LeerlingOngeldig"
        assert fault_string(raw) == "leerlingid x is unknown"
