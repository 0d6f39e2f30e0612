"""The pure ledger core: canonical encodings, commitments and the chain walk, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from koppelvlak.audit import ledger
from koppelvlak.audit.ledger import GENESIS, BreakKind, ChainRow
from koppelvlak.audit.sealing import seal
from tests.factories.audit import DisclosureFactory

BOARD = uuid.UUID(int=7)
MOMENT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _chain(length: int) -> list[ChainRow]:
    """A board's chain as verification reads it, sealed exactly as ``record`` seals."""
    rows, previous = [], GENESIS
    for sequence in range(1, length + 1):
        sealed = seal(
            DisclosureFactory.build(board_id=BOARD),
            entry_id=uuid.uuid4(),
            sequence=sequence,
            previous_hash=previous,
            recorded_at=MOMENT + timedelta(seconds=sequence),
        )
        entry, payload = sealed.entry, sealed.payload
        subjects = " ".join(
            f"{s['commitment']}:{s['person_id'].hex}:{s['salt']}" for s in sealed.subjects
        )
        rows.append(
            ChainRow(
                entry["id"].hex,
                BOARD.hex,
                sequence,
                ledger.timestamp(entry["recorded_at"]),
                entry["provider_id"].hex,
                entry["connection_id"].hex,
                entry["channel"].value,
                entry["endpoint"],
                entry["response_digest"],
                previous,
                entry["payload_commitment"],
                sealed.entry_hash,
                payload["details_commitment"],
                payload["salt"],
                payload["query"],
                payload["attribute_ids"],
                subjects or None,
            )
        )
        previous = sealed.entry_hash
    return rows


def _walk(rows: list[ChainRow], head: int | None = None) -> ledger.ChainCheck:
    last = head if head is not None else len(rows)
    return ledger.verify_chain(
        BOARD,
        rows,
        head_sequence=last,
        head_hash=rows[-1].entry_hash if rows and last == len(rows) else "x",
        locate=lambda wanted: next((r.sequence for r in rows if r.entry_hash == wanted), None),
    )


class TestCanonicalEncoding:
    def test_a_time_is_utc_with_microseconds_whatever_its_zone(self) -> None:
        amsterdam = timezone(timedelta(hours=2))
        assert ledger.timestamp(datetime(2026, 5, 4, 12, 0, tzinfo=amsterdam)) == (
            "2026-05-04T10:00:00.000000+00:00"
        )
        assert ledger.timestamp(datetime(2026, 5, 4, 10, 0)) == "2026-05-04T10:00:00.000000+00:00"

    def test_attribute_ids_are_sorted_compact_json(self) -> None:
        assert ledger.canonical_attributes({"b.y", "a.x"}) == '["a.x","b.y"]'

    def test_moving_text_between_fields_changes_the_commitment(self) -> None:
        assert ledger.details_commitment("s", "ab", "c") != ledger.details_commitment(
            "s", "a", "bc"
        )

    def test_the_payload_commitment_ignores_the_order_of_people(self) -> None:
        assert ledger.payload_commitment("d", ["1", "2"]) == ledger.payload_commitment(
            "d", ["2", "1"]
        )

    def test_a_subject_commitment_depends_on_its_salt(self) -> None:
        person = uuid.uuid4().hex
        assert ledger.subject_commitment("a", person) != ledger.subject_commitment("b", person)


class TestWalkingAChain:
    def test_an_intact_chain_verifies(self) -> None:
        check = _walk(_chain(4))
        assert (check.broken, check.entries) == (None, 4)

    def test_an_empty_chain_verifies(self) -> None:
        check = ledger.verify_chain(
            BOARD, [], head_sequence=None, head_hash=None, locate=lambda _: None
        )
        assert (check.broken, check.entries) == (None, 0)

    def test_a_changed_field_is_named(self) -> None:
        rows = _chain(3)
        rows[1] = rows[1]._replace(endpoint="GET /other")
        broken = _walk(rows).broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.entry_id) == (
            2,
            BreakKind.CHANGED,
            uuid.UUID(rows[1].entry_id),
        )

    def test_a_gap_is_named_by_the_missing_sequences(self) -> None:
        rows = _chain(5)
        broken = _walk(rows[:1] + rows[3:]).broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.detail) == (
            2,
            BreakKind.REMOVED,
            "entries 2..3 are missing",
        )

    def test_a_truncated_tail_is_caught_by_the_head(self) -> None:
        rows = _chain(3)
        broken = _walk(rows[:2], head=3).broken
        assert broken is not None
        assert (broken.sequence, broken.kind) == (3, BreakKind.REMOVED)

    def test_an_erased_person_still_verifies_and_is_counted(self) -> None:
        rows = _chain(2)
        assert rows[0].subjects is not None
        first, *rest = rows[0].subjects.split(" ")
        commitment = first.split(":")[0]
        rows[0] = rows[0]._replace(subjects=" ".join([f"{commitment}::", *rest]))
        check = _walk(rows)
        assert (check.broken, check.erased_subjects) == (None, 1)

    @pytest.mark.parametrize(
        ("subjects", "detail"),
        [
            ("nonsense", "a person in it is malformed"),
            (f"{'a' * 64}:{'b' * 32}:", "a person in it is half erased"),
        ],
    )
    def test_a_damaged_subject_is_named(self, subjects: str, detail: str) -> None:
        rows = _chain(1)
        rows[0] = rows[0]._replace(subjects=subjects)
        broken = _walk(rows).broken
        assert broken is not None
        assert (broken.kind, broken.detail) == (BreakKind.PAYLOAD_ALTERED, detail)
