"""``koppelvlak rights …`` and ``koppelvlak export person`` as a DPO runs them on the demo board."""

from __future__ import annotations

import email
import io
import json
import zipfile
from pathlib import Path

import pytest

from koppelvlak.roster.demo import DEMO_BOARD_CODE
from tests.support.server import koppelvlak_env, run_cli

BOARD = ("--board", DEMO_BOARD_CODE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """One demo board for the module; each test works on a person of its own."""
    folder = tmp_path_factory.mktemp("rights-cli")
    env = koppelvlak_env(
        f"sqlite:///{folder / 'r.db'}",
        folder,
        KOPPELVLAK_MAIL_URL=f"folder:{folder / 'mail'}",
        KOPPELVLAK_DPO_EMAIL="fg@school.example",
    )
    built = run_cli("demo", "--students", "20", env=env)
    assert built.returncode == 0, built.stderr
    return env, folder


def _ok(*args: str, env: dict[str, str]) -> str:
    done = run_cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


class TestTheRightsCommands:
    def test_an_access_request_from_filing_to_its_zip(
        self, demo: tuple[dict[str, str], Path], tmp_path: Path
    ) -> None:
        env, folder = demo
        _ok("rights", "file", *BOARD, "--person", "100001", "--kind", "access",
            "--email", "ouder@home.example", env=env)  # fmt: skip
        listed = json.loads(_ok("rights", "list", *BOARD, "--open", env=env))["requests"]
        [request_id] = [r["id"] for r in listed if r["kind"] == "access"]
        _ok("rights", "check-identity", request_id, *BOARD, "--note", "ID card", env=env)
        _ok("rights", "approve", request_id, *BOARD, env=env)
        target = tmp_path / "access.zip"
        said = _ok("rights", "carry-out", request_id, *BOARD, "-o", str(target), env=env)
        assert "access export made" in said
        with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as archive:
            person = json.loads(archive.read("person.json"))
            steps = json.loads(archive.read("requests.json"))[0]["steps"]
        assert person["source_key"] == "100001"
        assert [s["action"] for s in steps] == ["filed", "check_identity", "approve", "carry_out"]
        mails = [email.message_from_bytes(f.read_bytes()) for f in (folder / "mail").glob("*.eml")]
        to_parent = sorted(str(m["Subject"]) for m in mails if m["To"] == "ouder@home.example")
        assert to_parent == [
            "Verzoek goedgekeurd / Request approved",
            "Verzoek ontvangen / Request received",
            "Verzoek uitgevoerd / Request carried out",
        ]
        assert any(m["To"] == "fg@school.example" for m in mails)

    def test_export_person_writes_the_same_zip_without_a_request(
        self, demo: tuple[dict[str, str], Path], tmp_path: Path
    ) -> None:
        env, _ = demo
        target = tmp_path / "p.zip"
        _ok("export", "person", *BOARD, "--person", "100002", "-o", str(target), env=env)
        with zipfile.ZipFile(target) as archive:
            assert json.loads(archive.read("person.json"))["source_key"] == "100002"
            assert "samenvatting-summary.html" in archive.namelist()

    def test_bad_input_is_one_line_and_changes_nothing(
        self, demo: tuple[dict[str, str], Path]
    ) -> None:
        env, _ = demo
        unknown = run_cli("rights", "file", *BOARD, "--person", "999", "--kind", "access", env=env)
        assert unknown.returncode == 1
        assert unknown.stderr == (
            "error: '999' is neither an id nor the LAS key of a current student or staff "
            "member of this board\n"
        )
        wrong_kind = run_cli(
            "rights", "file", *BOARD, "--person", "100003", "--kind", "deletion", env=env
        )
        assert wrong_kind.stderr == (
            "error: kind 'deletion' is not one of access, rectification, erasure, "
            "restriction, objection\n"
        )
        _ok("rights", "file", *BOARD, "--person", "100003", "--kind", "objection", env=env)
        requests = json.loads(_ok("rights", "list", *BOARD, env=env))["requests"]
        [request] = [r for r in requests if r["kind"] == "objection"]
        refused = run_cli("rights", "refuse", request["id"], *BOARD, env=env)
        assert refused.returncode == 1
        assert refused.stderr == "error: a refusal needs a reason; the requester is told it\n"
        shown = json.loads(_ok("rights", "show", request["id"], *BOARD, env=env))
        assert (shown["state"], len(shown["steps"])) == ("received", 1)

    def test_a_link_is_printed_for_the_person(self, demo: tuple[dict[str, str], Path]) -> None:
        env, _ = demo
        done = run_cli("rights", "link", *BOARD, "--person", "100001", env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("http://127.0.0.1:8000/rights/links/")
        assert "it works once" in done.stderr
