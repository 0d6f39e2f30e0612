"""UWLR end to end, lock-out: failed keys are counted per klantcode and per client address.

The server runs with small limits (3 failures per klantcode, 6 per address, per hour). Over a
limit, keys are refused without being checked; a key the server verified a moment ago keeps
working, so someone else's guessing does not lock a provider out.
"""

from __future__ import annotations

import pytest

from tests.api.uwlr.conftest import Deployment
from tests.api.uwlr.soap_calls import assert_fault, haal, ledger_entries
from tests.support.uwlr import assert_valid_answer

WRONG_KEY = "the autorisatiesleutel is not valid for klantcode {}"


@pytest.fixture(scope="module")
def server_settings() -> dict[str, str]:
    return {
        "KOPPELVLAK_UWLR_FAILURES_PER_KLANTCODE": "3/hour",
        "KOPPELVLAK_UWLR_FAILURES_PER_ADDRESS": "6/hour",
    }


class TestLockOut:
    def test_after_n_failures_the_klantcode_then_the_address_is_locked_out(
        self, deployment: Deployment
    ) -> None:
        assert_valid_answer(haal(deployment).content, profile="smalle_set")  # the provider's key
        for _ in range(3):
            assert_fault(
                haal(deployment, key="guess"),
                "Client.AutorisatieOngeldig",
                WRONG_KEY.format("DEMO-EA"),
            )
        before = ledger_entries(deployment)
        assert_fault(
            haal(deployment, key="guess"),
            "Client.AutorisatieOngeldig",
            "too many failed autorisatie attempts for klantcode DEMO-EA; try again later "
            "(at most 3 failures per hour)",
        )
        assert ledger_entries(deployment) == before
        # The rightful provider, whose key was verified a moment ago, is not locked out.
        assert haal(deployment).status_code == 200

        # Unknown klantcodes count against the address exactly like known ones.
        for _ in range(3):
            assert_fault(
                haal(deployment, key="guess", klantcode="NO-SUCH-KLANT"),
                "Client.AutorisatieOngeldig",
                WRONG_KEY.format("NO-SUCH-KLANT"),
            )
        assert_fault(
            haal(deployment, key="guess", klantcode="ANOTHER-KLANT"),
            "Client.AutorisatieOngeldig",
            "too many failed autorisatie attempts from your address; try again later "
            "(at most 6 failures per hour)",
        )
        assert haal(deployment).status_code == 200
