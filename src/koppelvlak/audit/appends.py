"""The append hot path: a batch of prepared entries written under the chain lock, driver-level.

Every page a provider reads appends to its board's chain, so these few statements run once per
response (ADR 0032). They are fixed text with the driver's own placeholders, run on the DBAPI
cursor: SQLAlchemy's constructs and execution contexts cost more CPU than the database's own
work. Ids, times and person numbers travel as the ORM stores them (see ``Driver``), so ORM
reads of the same rows see what the models say.

Per board in a batch, under the lock: take the head (SQLite: an ``UPDATE … RETURNING`` that also
takes the write lock in a deferred transaction; PostgreSQL: ``SELECT … FOR UPDATE``), seal the
entries (sequence, previous hash, time), insert them and their payloads (one ``executemany``
each), and move the head once. Keys and commitments come from ``prepare``, before the lock.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from koppelvlak.audit.key_cache import KeyCache, Stamp
from koppelvlak.audit.ledger import GENESIS
from koppelvlak.audit.models import KEY_BYTES, pack_numbers
from koppelvlak.audit.sealing import Draft, Prepared, SealedEntry, WriterKey, draft, seal
from koppelvlak.audit.values import Disclosure, LedgerReceipt
from koppelvlak.kit.clock import as_utc, utcnow

CHUNK = 500  # ids per IN list
Keys = dict[str, WriterKey]  # person id (32 hex digits) -> (number, key)

_ENTRY = (
    "INSERT INTO audit_entry (id, board_id, sequence, recorded_at, provider_id, connection_id, "
    "channel, endpoint, response_digest, previous_hash, payload_commitment, entry_hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_PAYLOAD = (
    "INSERT INTO audit_payload (board_id, sequence, salt, query, attribute_ids, people) "
    "VALUES (%s, %s, %s, %s, %s, {people})"
)
_LOCK = {
    # Also takes SQLite's write lock when the caller's transaction was deferred (ADR 0004).
    "sqlite": "UPDATE audit_chain SET updated_at = %s WHERE board_id = %s "
    "RETURNING last_sequence, last_hash, erasures",
    # A row lock only: the head gets one new version per batch, in ``_MOVE``.
    "postgresql": "SELECT last_sequence, last_hash, erasures FROM audit_chain "
    "WHERE board_id = %s FOR UPDATE",
}
_CREATE = (
    "INSERT INTO audit_chain (board_id, last_sequence, last_hash, updated_at, erasures) "
    "VALUES (%s, 0, %s, %s, 0) ON CONFLICT DO NOTHING"
)
_MOVE = (
    "UPDATE audit_chain SET last_sequence = %s, last_hash = %s, updated_at = %s WHERE board_id = %s"
)
# The erasure count, and the chain's first entry: the key memo's stamp (ADR 0140). The first
# entry is asked for as the lowest sequence, which only the (board_id, sequence) index answers
# in order: asked as ``sequence = 1``, PostgreSQL's generic plan for this prepared statement,
# made while the ledger was empty, took the (board_id, provider_id, recorded_at) index and
# filtered every entry of the board on every request (ADR 0158).
_EPOCH = (
    "SELECT c.erasures, (SELECT e.id FROM audit_entry e WHERE e.board_id = c.board_id "
    "ORDER BY e.sequence LIMIT 1) FROM audit_chain c WHERE c.board_id = %s"
)
_KEYS = "SELECT person_id, number, key FROM audit_person_key WHERE board_id = %s AND person_id IN "
_KEYS_ANY = (
    "SELECT person_id, number, key FROM audit_person_key "
    "WHERE board_id = %s AND person_id = ANY(%s::uuid[])"
)
_ADD_KEY = (
    "INSERT INTO audit_person_key (board_id, person_id, key) VALUES (%s, %s, %s) "
    "ON CONFLICT DO NOTHING RETURNING person_id, number, key"
)


class Driver:
    """One transaction's DBAPI cursor; values as the ORM's column types store them.

    Below SQLAlchemy's ``exec_driver_sql`` on purpose: its execution context cost ~15 times
    the statement's own work here (bench/README.md, provider API). Driver errors become
    SQLAlchemy's (``IntegrityError``, ``OperationalError``), which the interfaces answer with
    503, as from any other statement.
    """

    def __init__(self, dbapi_connection: Any, dialect: Dialect) -> None:
        self.native = dialect.name == "postgresql"
        self._dbapi_connection = dbapi_connection
        self._cursor = dbapi_connection.cursor()
        self._error: type[Exception] = dialect.loaded_dbapi.Error

    @classmethod
    def of(cls, connection: Connection) -> Driver:
        """The driver of a SQLAlchemy connection's transaction (already begun)."""
        return cls(connection.connection.dbapi_connection, connection.dialect)

    def id(self, value: uuid.UUID) -> object:
        return value if self.native else value.hex

    def hex(self, value: object) -> str:
        return value.hex if isinstance(value, uuid.UUID) else str(value)

    def moment(self, value: datetime) -> object:
        utc = as_utc(value)
        return utc if self.native else utc.strftime("%Y-%m-%d %H:%M:%S.%f")

    def people(self, numbers: tuple[int, ...]) -> object:
        if not numbers:
            return None
        return list(numbers) if self.native else pack_numbers(numbers)

    def rows(self, text: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._errors(text):
            self._cursor.execute(self._sql(text), tuple(params))
            return list(self._cursor.fetchall())

    def run(self, text: str, params: Sequence[object] = ()) -> None:
        with self._errors(text):
            self._cursor.execute(self._sql(text), tuple(params))

    def run_many(self, text: str, params: list[tuple[object, ...]]) -> None:
        with self._errors(text):
            self._cursor.executemany(self._sql(text), params)

    def begin_writing(self) -> None:
        """SQLite: take the write lock up front (ADR 0004). PostgreSQL begins by itself."""
        if not self.native:
            self.run("BEGIN IMMEDIATE")

    def commit(self) -> None:
        with self._errors("COMMIT"):
            self._dbapi_connection.commit()

    def rollback(self) -> None:
        with self._errors("ROLLBACK"):
            self._dbapi_connection.rollback()

    def _sql(self, text: str) -> str:
        return text if self.native else text.replace("%s", "?")

    @contextmanager
    def _errors(self, text: str) -> Iterator[None]:
        try:
            yield
        except self._error as error:
            raise DBAPIError.instance(
                text, None, error, self._error, hide_parameters=True
            ) from error


def epoch(driver: Driver, board_id: uuid.UUID) -> tuple[int | None, Stamp | None]:
    """The board's erasure count (None before its first entry), and the key memo's stamp.

    The stamp is None while the chain has no first entry: the memo is not used then.
    """
    found = driver.rows(_EPOCH, [driver.id(board_id)])
    if not found:
        return None, None
    erasures, first = int(found[0][0]), found[0][1]
    return erasures, None if first is None else (erasures, driver.hex(first))


def person_keys(driver: Driver, board_id: uuid.UUID, people: Iterable[uuid.UUID]) -> Keys:
    """The keys of those people that have one in this board's ledger, by hex person id."""
    ids = [driver.id(person) for person in people]
    found: Keys = {}
    if driver.native:  # one uuid[] parameter: psycopg dumps each of 100 parameters on its own
        for person, number, key in driver.rows(_KEYS_ANY, [driver.id(board_id), ids]):
            found[driver.hex(person)] = (int(number), bytes(key))
        return found
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = "(" + ", ".join(["%s"] * len(chunk)) + ")"
        for person, number, key in driver.rows(_KEYS + marks, [driver.id(board_id), *chunk]):
            found[driver.hex(person)] = (int(number), bytes(key))
    return found


def add_person_keys(driver: Driver, board_id: uuid.UUID, people: Collection[uuid.UUID]) -> Keys:
    """Give these people a fresh random key (and number); keeps a key someone else just made.

    One statement per person (``executemany`` returns no rows); it runs only the first time a
    person is disclosed.
    """
    made: Keys = {}
    board = driver.id(board_id)
    for person in people:
        for found, number, key in driver.rows(
            _ADD_KEY, [board, driver.id(person), secrets.token_bytes(KEY_BYTES)]
        ):
            made[driver.hex(found)] = (int(number), bytes(key))
    if len(made) < len(people):
        made |= person_keys(driver, board_id, [p for p in people if p.hex not in made])
    return made


def prepare(
    driver: Driver,
    disclosure: Disclosure,
    *,
    read_keys: bool = True,
    cache: KeyCache | None = None,
) -> Prepared:
    """Everything of an entry that does not depend on its place in the chain, before the lock.

    ``read_keys`` False leaves the keys to be read under the lock (a SQLite transaction that
    has not taken its write lock yet must not read first, ADR 0004). With a ``cache`` the keys
    come from the process's memo where its stamp still holds, and only the others are read
    (ADR 0140).
    """
    entry_id = uuid.uuid4()
    if not read_keys:
        return Prepared(disclosure, entry_id, None, None)
    board_id = disclosure.board_id
    # Before the keys: an erasure after this read moves the count, and the lock notices.
    seen, stamp = epoch(driver, board_id)
    people = disclosure.person_ids
    memo = (cache, stamp) if cache is not None and stamp is not None else None
    keys = {} if memo is None else memo[0].known(board_id, memo[1], (p.hex for p in people))
    if len(keys) < len(people):
        read = person_keys(driver, board_id, [p for p in people if p.hex not in keys])
        if memo is not None:
            memo[0].learn(board_id, memo[1], read)
        keys |= read
    complete = len(keys) == len(people)
    return Prepared(
        disclosure, entry_id, seen, draft(disclosure, entry_id, keys) if complete else None
    )


def _redraft(driver: Driver, prepared: Prepared, erasures: int) -> Draft:
    """The draft under the lock: keys re-read when an erasure came in between, new ones made."""
    if prepared.draft is not None and prepared.epoch == erasures:
        return prepared.draft
    disclosure = prepared.disclosure
    keys = person_keys(driver, disclosure.board_id, disclosure.person_ids)
    missing = [person for person in disclosure.person_ids if person.hex not in keys]
    if missing:
        keys |= add_person_keys(driver, disclosure.board_id, missing)
    return draft(disclosure, prepared.entry_id, keys)


def _lock_head(driver: Driver, board_id: uuid.UUID, now: datetime) -> tuple[int, str, int]:
    """Take the board's chain lock: (last sequence, last hash, erasures); makes the head once."""
    board = driver.id(board_id)
    lock = _LOCK["postgresql" if driver.native else "sqlite"]
    params = [board] if driver.native else [driver.moment(now), board]
    found = driver.rows(lock, params)
    if not found:
        driver.run(_CREATE, [board, GENESIS, driver.moment(now)])
        found = driver.rows(lock, params)
    sequence, last_hash, erasures = found[0]
    return int(sequence), str(last_hash), int(erasures)


def _sealed_rows(driver: Driver, sealed: SealedEntry) -> tuple[tuple[object, ...], ...]:
    h, d, drafted = sealed.header, sealed.disclosure, sealed.drafted
    entry = (
        driver.id(drafted.entry_id), driver.id(d.board_id), h.sequence,
        driver.moment(sealed.recorded_at), driver.id(d.provider_id), driver.id(d.connection_id),
        h.channel, h.endpoint, h.response_digest, h.previous_hash, h.payload_commitment,
        sealed.entry_hash,
    )  # fmt: skip
    payload = (
        driver.id(d.board_id), h.sequence, drafted.salt, d.query, drafted.attribute_ids,
        driver.people(drafted.people),
    )  # fmt: skip
    return entry, payload


def write(
    driver: Driver, batch: Sequence[Prepared], at: datetime | None = None
) -> list[LedgerReceipt]:
    """Append the batch to the boards' chains in the driver's transaction (no commit).

    Boards are locked in id order, so two batches that share boards cannot deadlock.
    Receipts come back in the order of ``batch``.
    """
    receipts: dict[uuid.UUID, LedgerReceipt] = {}
    boards = sorted({p.disclosure.board_id for p in batch}, key=lambda b: b.bytes)
    for board_id in boards:
        mine = [p for p in batch if p.disclosure.board_id == board_id]
        sequence, previous, erasures = _lock_head(driver, board_id, utcnow())
        drafts = [_redraft(driver, p, erasures) for p in mine]
        # The time is taken under the chain lock, so a board's entries are in time order.
        recorded_at = as_utc(at) if at is not None else utcnow()
        entries, payloads = [], []
        for prepared, drafted in zip(mine, drafts, strict=True):
            sequence += 1
            sealed = seal(prepared.disclosure, drafted, sequence=sequence,
                          previous_hash=previous, recorded_at=recorded_at)  # fmt: skip
            entry, payload = _sealed_rows(driver, sealed)
            entries.append(entry)
            payloads.append(payload)
            previous = sealed.entry_hash
            receipts[drafted.entry_id] = sealed.receipt()
        people = "%s::integer[]" if driver.native else "%s"
        driver.run_many(_ENTRY, entries)
        driver.run_many(_PAYLOAD.format(people=people), payloads)
        driver.run(_MOVE, [sequence, previous, driver.moment(recorded_at), driver.id(board_id)])
    return [receipts[p.entry_id] for p in batch]
