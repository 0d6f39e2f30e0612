"""A form token is accepted only with the binding it was issued for."""

from __future__ import annotations

import pytest

from koppelvlak.kit.csrf import CsrfRefused, check, issue


class TestFormTokens:
    def test_the_token_issued_for_a_binding_passes(self) -> None:
        check(b"k", "session-1", issue(b"k", "session-1"))

    @pytest.mark.parametrize(
        "token", [None, "", "0" * 64, issue(b"k", "session-2"), issue(b"other", "session-1")]
    )
    def test_a_missing_foreign_or_forged_token_is_refused(self, token: str | None) -> None:
        with pytest.raises(CsrfRefused, match="no valid security token"):
            check(b"k", "session-1", token)
