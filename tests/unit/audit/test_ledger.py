"""The pure ledger core: canonical encodings, commitments and the chain walk, without a database."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from koppelvlak.audit import ledger, legacy
from koppelvlak.audit.ledger import GENESIS, BreakKind, ChainRow, PersonKey
from koppelvlak.audit.sealing import draft, seal
from tests.factories.audit import DisclosureFactory

BOARD = uuid.UUID(int=7)
MOMENT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


class Ledger:
    """A board's chain as verification reads it, sealed exactly as ``record`` seals."""

    def __init__(self, length: int) -> None:
        self.keys: dict[int, PersonKey] = {}
        self.secrets: dict[int, bytes] = {}
        self.rows: list[ChainRow] = []
        writer: dict[str, tuple[int, bytes]] = {}
        previous = GENESIS
        for sequence in range(1, length + 1):
            disclosure = DisclosureFactory.build(board_id=BOARD)
            for person in disclosure.person_ids:
                number, key = len(writer) + 1, secrets.token_bytes(16)
                writer[person.hex] = (number, key)
                self.keys[number] = (person.hex.encode(), ledger.prepared(key))
                self.secrets[number] = key
            entry_id = uuid.uuid4()
            sealed = seal(
                disclosure,
                draft(disclosure, entry_id, writer),
                sequence=sequence,
                previous_hash=previous,
                recorded_at=MOMENT + timedelta(seconds=sequence),
            )
            header, drafted = sealed.header, sealed.drafted
            assert header.previous_hash == previous
            self.rows.append(
                ChainRow(
                    entry_id.hex,
                    sequence,
                    ledger.entry_frame(header),
                    previous,
                    drafted.payload_commitment,
                    sealed.entry_hash,
                    sequence,
                    drafted.salt,
                    disclosure.query,
                    drafted.attribute_ids,
                    ledger.payload_frame(
                        drafted.salt, disclosure.query, drafted.attribute_ids
                    ).decode(),
                    drafted.people,
                    None,
                    None,
                    None,
                )
            )
            previous = sealed.entry_hash

    def walk(
        self, rows: list[ChainRow] | None = None, head: int | None = None
    ) -> ledger.ChainCheck:
        rows = self.rows if rows is None else rows
        last = head if head is not None else len(rows)
        return ledger.verify_chain(
            BOARD,
            rows,
            head_sequence=last,
            head_hash=rows[-1].entry_hash if rows and last == len(rows) else "x",
            locate=lambda wanted: next((r.sequence for r in rows if r.entry_hash == wanted), None),
            keys=self.keys,
        )

    def erase(self, index: int, number: int) -> None:
        """Erase one person from one entry as ``erase_person`` does."""
        row = self.rows[index]
        person, key = self.keys[number][0], self.secrets[number]
        assert row.people is not None
        self.rows[index] = row._replace(
            people=tuple(n for n in row.people if n != number),
            erased=(row.erased or b"")
            + ledger.person_commitment(key, row.entry_id.encode(), person),
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
        assert ledger.payload_commitment("s", "ab", "c", []) != ledger.payload_commitment(
            "s", "a", "bc", []
        )

    def test_the_payload_commitment_ignores_the_order_of_people(self) -> None:
        one, two = b"1" * 16, b"2" * 16
        assert ledger.payload_commitment("s", "q", "[]", [one, two]) == (
            ledger.payload_commitment("s", "q", "[]", [two, one])
        )

    def test_a_person_commitment_is_16_bytes_and_depends_on_the_key_and_the_entry(self) -> None:
        person, entry = uuid.uuid4().hex.encode(), uuid.uuid4().hex.encode()
        commitment = ledger.person_commitment(b"k" * 16, entry, person)
        assert len(commitment) == 16
        assert commitment != ledger.person_commitment(b"j" * 16, entry, person)
        assert commitment != ledger.person_commitment(b"k" * 16, uuid.uuid4().hex.encode(), person)

    def test_the_old_form_keeps_its_own_subject_commitments(self) -> None:
        person = uuid.uuid4().hex
        assert legacy.subject_commitment("a", person) != legacy.subject_commitment("b", person)


class TestWalkingAChain:
    def test_an_intact_chain_verifies(self) -> None:
        check = Ledger(4).walk()
        assert (check.broken, check.entries) == (None, 4)

    def test_an_empty_chain_verifies(self) -> None:
        check = ledger.verify_chain(
            BOARD, [], head_sequence=None, head_hash=None, locate=lambda _: None
        )
        assert (check.broken, check.entries) == (None, 0)

    def test_a_changed_field_is_named(self) -> None:
        chain = Ledger(3)
        row = chain.rows[1]
        chain.rows[1] = row._replace(entry_check=row.entry_check.replace("/users", "/other"))
        broken = chain.walk().broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.entry_id) == (
            2,
            BreakKind.CHANGED,
            uuid.UUID(row.entry_id),
        )

    def test_a_gap_is_named_by_the_missing_sequences(self) -> None:
        chain = Ledger(5)
        broken = chain.walk(chain.rows[:1] + chain.rows[3:]).broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.detail) == (
            2,
            BreakKind.REMOVED,
            "entries 2..3 are missing",
        )

    def test_a_truncated_tail_is_caught_by_the_head(self) -> None:
        chain = Ledger(3)
        broken = chain.walk(chain.rows[:2], head=3).broken
        assert broken is not None
        assert (broken.sequence, broken.kind) == (3, BreakKind.REMOVED)

    def test_an_erased_person_still_verifies_and_is_counted(self) -> None:
        chain = Ledger(2)
        people = chain.rows[0].people
        assert people
        chain.erase(0, people[0])
        check = chain.walk()
        assert (check.broken, check.erased_subjects) == (None, 1)

    def test_a_person_removed_without_their_commitment_is_named(self) -> None:
        chain = Ledger(2)
        people = chain.rows[1].people
        assert people
        chain.rows[1] = chain.rows[1]._replace(people=people[1:])
        broken = chain.walk().broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.detail) == (
            2,
            BreakKind.PAYLOAD_ALTERED,
            "its people, query or attributes do not match the commitment in the chain",
        )

    def test_a_person_without_a_key_is_named(self) -> None:
        chain = Ledger(1)
        chain.rows[0] = chain.rows[0]._replace(people=(999,))
        broken = chain.walk().broken
        assert broken is not None
        assert (broken.kind, broken.detail) == (
            BreakKind.PAYLOAD_ALTERED,
            "a person in it has no key in the ledger",
        )

    def test_an_entry_hashed_by_the_database_is_compared_as_given(self) -> None:
        chain = Ledger(2)
        hashed = [row._replace(entry_check=row.entry_hash) for row in chain.rows]
        check = ledger.verify_chain(
            BOARD,
            hashed,
            head_sequence=2,
            head_hash=hashed[-1].entry_hash,
            locate=lambda _: None,
            keys=chain.keys,
            hashed=True,
        )
        assert (check.broken, check.entries) == (None, 2)

    @pytest.mark.parametrize(
        ("subjects", "detail"),
        [
            ("nonsense", "a person in it is malformed"),
            (f"{'a' * 64}:{'b' * 32}:", "a person in it is half erased"),
        ],
    )
    def test_a_damaged_old_form_subject_is_named(self, subjects: str, detail: str) -> None:
        chain = Ledger(1)
        chain.rows[0] = chain.rows[0]._replace(v1_details="d" * 64, v1_subjects=subjects, salt=None)
        broken = chain.walk().broken
        assert broken is not None
        assert (broken.kind, broken.detail) == (BreakKind.PAYLOAD_ALTERED, detail)
