"""Settings come from KOPPELVLAK_* variables; secrets live in a private key file."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest

from koppelvlak.config import Settings, get_settings, load_secrets
from koppelvlak.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> None:
    get_settings.cache_clear()


class TestDefaults:
    def test_the_database_is_a_sqlite_file_in_the_working_folder(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("KOPPELVLAK_DATABASE_URL", raising=False)
        assert get_settings().database_url == "sqlite:///./koppelvlak.db"

    def test_a_postgresql_url_with_psycopg_is_accepted(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KOPPELVLAK_DATABASE_URL", "postgresql+psycopg://u@db/koppelvlak")
        assert get_settings().database_url.startswith("postgresql+psycopg://")

    def test_the_public_url_is_the_local_server_until_configured(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("KOPPELVLAK_PUBLIC_URL", raising=False)
        assert get_settings().public_url == "http://127.0.0.1:8000"
        monkeypatch.setenv("KOPPELVLAK_PUBLIC_URL", "https://gateway.example.nl/")
        get_settings.cache_clear()
        assert get_settings().public_url == "https://gateway.example.nl"


class TestBadSettings:
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("gateway.example.nl", "must be an absolute http:// or https:// URL"),
            ("ftp://gateway.example.nl", "must be an absolute http:// or https:// URL"),
            ("https://gateway.example.nl/?x=1", "must not have a query or fragment"),
        ],
    )
    def test_a_public_url_that_is_not_an_absolute_url_is_named(
        self, monkeypatch: pytest.MonkeyPatch, value: str, message: str
    ) -> None:
        monkeypatch.setenv("KOPPELVLAK_PUBLIC_URL", value)
        with pytest.raises(ConfigurationError) as caught:
            get_settings()
        assert str(caught.value) == f"bad setting: KOPPELVLAK_PUBLIC_URL: Value error, {message}"

    def test_an_unknown_database_scheme_is_named_in_one_line(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KOPPELVLAK_DATABASE_URL", "mysql://x")
        with pytest.raises(ConfigurationError) as caught:
            get_settings()
        assert str(caught.value) == (
            "bad setting: KOPPELVLAK_DATABASE_URL: Value error, "
            "must start with sqlite:/// or postgresql+psycopg://"
        )
        assert "\n" not in str(caught.value)

    def test_a_non_numeric_consent_age_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KOPPELVLAK_DIGITAL_CONSENT_AGE", "sixteen")
        with pytest.raises(ConfigurationError, match="KOPPELVLAK_DIGITAL_CONSENT_AGE"):
            get_settings()


class TestSecrets:
    def test_missing_secrets_are_generated_into_a_private_key_file(self, tmp_path: Path) -> None:
        key_file = tmp_path / "keys.json"
        secrets = load_secrets(Settings(key_file=key_file))
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(secrets.pseudonym_key) >= 48
        assert len({secrets.pseudonym_key, secrets.token_signing_key, secrets.session_key}) == 3

    def test_a_second_start_reuses_the_same_keys(self, tmp_path: Path) -> None:
        settings = Settings(key_file=tmp_path / "keys.json")
        assert load_secrets(settings) == load_secrets(settings)

    def test_a_key_from_the_environment_wins_over_the_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KOPPELVLAK_PSEUDONYM_KEY", "from-the-environment")
        secrets = load_secrets(Settings(key_file=tmp_path / "keys.json"))
        assert secrets.pseudonym_key == b"from-the-environment"

    def test_secrets_never_show_in_their_repr(self, tmp_path: Path) -> None:
        secrets = load_secrets(Settings(key_file=tmp_path / "keys.json"))
        assert repr(secrets) == "Secrets(<hidden>)"
        assert secrets.session_key.decode() not in repr(
            Settings(key_file=tmp_path / "k.json", session_key=secrets.session_key.decode())
        )

    def test_a_corrupt_key_file_is_reported_not_overwritten(self, tmp_path: Path) -> None:
        key_file = tmp_path / "keys.json"
        key_file.write_text("{not json")
        with pytest.raises(ConfigurationError, match="is unreadable"):
            load_secrets(Settings(key_file=key_file))
        assert key_file.read_text() == "{not json"


ROUNDS = 20
NAMES = ("pseudonym_key", "token_signing_key", "session_key")


def _start_and_report(folder: str, barrier: Any, results: Any) -> None:
    """One process of many starting at once: in each round, wait for the others, load the keys."""
    for round_ in range(ROUNDS):
        settings = Settings(key_file=Path(folder) / f"keys-{round_}.json")
        barrier.wait()
        try:
            secrets = load_secrets(settings)
        except ConfigurationError as error:
            results.put((round_, str(error)))
        else:
            results.put((round_, (secrets.pseudonym_key, secrets.token_signing_key)))


class TestProcessesStartingAtOnce:
    def test_every_process_gets_the_keys_the_file_holds(self, tmp_path: Path) -> None:
        processes = 4
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(processes)
        results = context.Queue()
        started = [
            context.Process(target=_start_and_report, args=(str(tmp_path), barrier, results))
            for _ in range(processes)
        ]
        for process in started:
            process.start()
        seen: dict[int, set[object]] = {}
        for _ in range(processes * ROUNDS):
            round_, keys = results.get(timeout=120)
            seen.setdefault(round_, set()).add(keys)
        for process in started:
            process.join(timeout=60)
        expected = {}
        for round_ in range(ROUNDS):
            key_file = tmp_path / f"keys-{round_}.json"
            stored = json.loads(key_file.read_text())
            expected[round_] = {(stored[NAMES[0]].encode(), stored[NAMES[1]].encode())}
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert seen == expected
