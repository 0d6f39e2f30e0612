"""Mixed provider traffic against a live server, and the checks that nothing went missing.

Several clients at once each cycle through OneRoster pages (``users``, which carry personal
data, and ``classes``, which do not), UWLR HaalLeerlinggegevens answers and
BrengLeerresultaten writes. Afterwards the database is asked what it holds: every acknowledged
result is stored, and the ledger holds exactly one entry per response that carried personal
data (matched by the response's SHA-256 digest, which each entry records).

``tests/api/test_concurrency.py`` runs it for a few seconds; ``bench/bench_load.py`` for 60.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.audit.models import Entry
from koppelvlak.db import make_engine
from koppelvlak.results.models import ResultScore
from koppelvlak.roster.models import Board, School
from tests.factories.providers import uwlr_connected
from tests.support.provider_setup import add_providers
from tests.support.uwlr import AUT_NS, LG_NS, LR_NS, NS, soap_payload

USERS = "/ims/oneroster/rostering/v1p2/users"
CLASSES = "/ims/oneroster/rostering/v1p2/classes"
HAAL = "/uwlr/v2/leerlinggegevens"
BRENG = "/uwlr/v2/leerresultaten"
KINDS = ("users", "classes", "haal", "breng")
UWLR_KEY = "L" * 88
KLANTCODE = "LOAD-EA"
SHARED_RESULT = "SHARED-1"  # every push also re-sends this one: replacements race too
UWLR_DATASET = {
    "student.given_name": True,
    "student.family_name": True,
    "student.year_group": True,
    "student.groups": True,
    "group.name": True,
    "group.year_group": True,
    "staff.given_name": True,
    "staff.family_name": True,
    "staff.groups": True,
}


@dataclass(frozen=True)
class Site:
    """A live server on a demo board, with one OneRoster and one UWLR provider on it."""

    base: str
    database_url: str
    client_id: str
    client_secret: str
    school_year: str
    uwlr_connection_id: uuid.UUID


def prepare(database_url: str) -> tuple[str, str, uuid.UUID]:
    """Add the providers to a demo board: (OneRoster client id, secret, UWLR connection id).

    The OneRoster provider is the suite's ``Leesapp`` (one connection, so a page is one ledger
    entry); the UWLR provider has a whole-school connection to 99XX and a key.
    """
    engine = make_engine(database_url)
    with Session(engine) as session:
        reading = add_providers(session)[0]
        board = session.scalars(select(Board).where(Board.code == "DEMO")).one()
        school = session.scalars(
            select(School).where(School.board_id == board.id, School.brin == "99XX")
        ).one()
        _provider, connection_id = uwlr_connected(
            session,
            board,
            school,
            UWLR_DATASET,
            name="Belasting Toetsen B.V.",
            klantcode=KLANTCODE,
            key=UWLR_KEY,
        )
        session.commit()
    engine.dispose()
    return reading["client_id"], reading["client_secret"], connection_id


def _autorisatie() -> str:
    return (
        f"<a:autorisatie><a:autorisatiesleutel>{UWLR_KEY}</a:autorisatiesleutel>"
        f"<a:klantcode>{KLANTCODE}</a:klantcode><a:klantnaam>Belasting</a:klantnaam>"
        "</a:autorisatie>"
    )


def haal_request(school_year: str) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:a="{AUT_NS}" xmlns:l="{LG_NS}"><s:Header>{_autorisatie()}</s:Header><s:Body>'
        f"<l:leerlinggegevens_verzoek><l:schooljaar>{school_year}</l:schooljaar>"
        "<l:brincode>99XX</l:brincode><l:dependancecode>00</l:dependancecode>"
        "<l:xsdversie>2.2</l:xsdversie></l:leerlinggegevens_verzoek></s:Body></s:Envelope>"
    ).encode()


def breng_request(school_year: str, results: list[tuple[str, str, int]]) -> bytes:
    """A push of (student key, result key, score) rows, one sitting per student."""
    by_student: dict[str, list[str]] = {}
    for student, key, score in results:
        by_student.setdefault(student, []).append(
            f'<lr:resultaat key="{key}"><lr:afnamedatum>2026-11-20</lr:afnamedatum>'
            f"<lr:toetscode>REK-M5</lr:toetscode><lr:score>{score}</lr:score></lr:resultaat>"
        )
    sittings = "".join(
        f"<lr:toetsafname><lr:leerlingid>{student}</lr:leerlingid>"
        f"<lr:resultaten>{''.join(rows)}</lr:resultaten></lr:toetsafname>"
        for student, rows in by_student.items()
    )
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:a="{AUT_NS}" xmlns:lr="{LR_NS}"><s:Header>{_autorisatie()}</s:Header><s:Body>'
        f"<lr:leerresultaten_verzoek><lr:school><lr:schooljaar>{school_year}</lr:schooljaar>"
        "<lr:brincode>99XX</lr:brincode><lr:aanmaakdatum>2026-11-20T10:00:00</lr:aanmaakdatum>"
        f"<lr:xsdversie>2.2</lr:xsdversie></lr:school><lr:toetsafnames>{sittings}"
        "</lr:toetsafnames><lr:toetsen><lr:toets><lr:toetscode>REK-M5</lr:toetscode>"
        "</lr:toets></lr:toetsen></lr:leerresultaten_verzoek></s:Body></s:Envelope>"
    ).encode()


@dataclass
class Tally:
    """What the clients saw: per kind the answers, their latencies, and anything that failed."""

    ok: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    personal_digests: Counter[str] = field(default_factory=Counter)
    acknowledged: set[str] = field(default_factory=set)
    shared_scores: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, other: Tally) -> None:
        with self.lock:
            self.ok.update(other.ok)
            self.errors.extend(other.errors)
            for kind, values in other.latencies.items():
                self.latencies.setdefault(kind, []).extend(values)
            self.personal_digests.update(other.personal_digests)
            self.acknowledged |= other.acknowledged
            self.shared_scores |= other.shared_scores


def student_keys(site: Site, tally: Tally) -> list[str]:
    """The provider keys of the students UWLR releases, from one answer (warms the server)."""
    response = httpx.post(site.base + HAAL, content=haal_request(site.school_year), timeout=120)
    response.raise_for_status()
    tally.personal_digests[hashlib.sha256(response.content).hexdigest()] += 1
    keys = soap_payload(response.content).xpath(".//lg:leerling/@key", namespaces=NS)
    return [str(key) for key in keys]


def token(site: Site) -> str:
    answer = httpx.post(
        site.base + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(site.client_id, site.client_secret),
        timeout=60,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


class Client:
    """One client thread's loop: the kinds in turn, each client starting at another one."""

    def __init__(
        self, site: Site, number: int, students: list[str], bearer: str, page: int
    ) -> None:
        self.site, self.number, self.students, self.page = site, number, students, page
        self.headers = {"Authorization": f"Bearer {bearer}"}
        self.tally = Tally()
        self.calls = 0

    def run(self, *, stop_at: float | None, rounds: int | None) -> Tally:
        with httpx.Client(base_url=self.site.base, timeout=120) as http:
            while (rounds is None or self.calls < rounds * len(KINDS)) and (
                stop_at is None or time.monotonic() < stop_at
            ):
                kind = KINDS[(self.number + self.calls) % len(KINDS)]
                self.calls += 1
                began = time.perf_counter()
                try:
                    self._one(http, kind)
                except httpx.HTTPError as error:
                    self.tally.errors.append(f"{kind}: {type(error).__name__}: {error}")
                self.tally.latencies.setdefault(kind, []).append(time.perf_counter() - began)
        return self.tally

    def _one(self, http: httpx.Client, kind: str) -> None:
        if kind in ("users", "classes"):
            offset = (self.calls // len(KINDS)) % 3 * self.page
            path = USERS if kind == "users" else CLASSES
            response = http.get(f"{path}?limit={self.page}&offset={offset}", headers=self.headers)
            # A page past the last user is empty: nothing personal, so no ledger entry.
            personal = kind == "users" and response.status_code == 200 and response.json()[kind]
            self._check(kind, response, personal=bool(personal))
        elif kind == "haal":
            response = http.post(HAAL, content=haal_request(self.site.school_year))
            self._check(kind, response, personal=True)
        else:
            self._breng(http)

    def _breng(self, http: httpx.Client) -> None:
        call = f"C{self.number}-{self.calls}"
        students = [self.students[(self.calls + i) % len(self.students)] for i in range(3)]
        score = self.number * 1_000_000 + self.calls
        rows = [(s, f"{call}-{i}", 1 + i) for i, s in enumerate(students)]
        rows.append((self.students[0], SHARED_RESULT, score))
        response = http.post(BRENG, content=breng_request(self.site.school_year, rows))
        if self._check("breng", response, personal=False):
            self.tally.acknowledged |= {key for _, key, _ in rows}
            self.tally.shared_scores.add(score)

    def _check(self, kind: str, response: httpx.Response, *, personal: bool) -> bool:
        if response.status_code != 200:
            self.tally.errors.append(f"{kind}: {response.status_code} {response.text[:300]}")
            return False
        self.tally.ok[kind] += 1
        if personal:
            self.tally.personal_digests[hashlib.sha256(response.content).hexdigest()] += 1
        return True


def drive(
    site: Site,
    clients: int,
    *,
    seconds: float | None = None,
    rounds: int | None = None,
    page: int = 20,
) -> Tally:
    """``clients`` threads for ``seconds`` or ``rounds`` of every kind each, all at once.

    OneRoster pages hold ``page`` records, at the first three offsets in turn. The tally
    includes the one answer before the run that gives the clients the students' keys.
    """
    total = Tally()
    students = student_keys(site, total)
    bearer = token(site)
    workers = [Client(site, number, students, bearer, page) for number in range(clients)]
    start = threading.Barrier(clients)

    def run(client: Client) -> None:
        start.wait()
        stop_at = None if seconds is None else time.monotonic() + seconds
        total.add(client.run(stop_at=stop_at, rounds=rounds))

    threads = [threading.Thread(target=run, args=(client,)) for client in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total


@dataclass(frozen=True)
class Stored:
    """What the database holds after the run."""

    result_keys: frozenset[str]
    shared_score: int | None
    ledger_digests: Counter[str]


def ledger_digests(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        digests = Counter(session.scalars(select(Entry.response_digest)))
    engine.dispose()
    return digests


def stored(site: Site) -> Stored:
    engine = make_engine(site.database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(ResultScore.result_key, ResultScore.score).where(
                ResultScore.connection_id == site.uwlr_connection_id
            )
        ).all()
    engine.dispose()
    scores: dict[str, int | None] = {str(key): score for key, score in rows}
    shared = scores.get(SHARED_RESULT)
    digests = ledger_digests(site.database_url)
    return Stored(frozenset(scores), None if shared is None else int(shared), digests)
