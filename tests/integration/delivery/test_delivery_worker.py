"""The outbox and its worker against a real receiver on loopback that fails in every way."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable

from sqlalchemy import select

from koppelvlak.audit.models import Entry
from koppelvlak.delivery import worker
from koppelvlak.delivery.models import DeliveryAttempt, DeliveryOutbox
from koppelvlak.kit.clock import utcnow
from tests.integration.delivery.conftest import Pushed
from tests.support.receiver import receiver


class TestAFlakyReceiver:
    def test_gets_every_delivery_exactly_once_per_key_after_it_recovers(
        self, pushed_factory: Callable[..., Pushed]
    ) -> None:
        faults = ["drop", "slow", "500", "drop", "500", "drop", "slow", "500"]
        with receiver([], faults, slow_seconds=1.5) as (url, received):
            pushed = pushed_factory(url)
            received.keys.append(pushed.key)
            pushed.add_students(2)
            pushed.add_students(1)
            pushed.drain()

            assert pushed.states() == {"delivered": len(pushed.ids())}
            assert set(received.accepted) == pushed.ids()
            assert received.conflicts == []
            assert received.unsigned == []
            assert len(received.requests) >= len(pushed.ids()) + len(faults)

    def test_keeps_every_attempt_with_its_status_or_error(
        self, pushed_factory: Callable[..., Pushed]
    ) -> None:
        with receiver([], ["500", "drop", "slow"], slow_seconds=1.5) as (url, received):
            pushed = pushed_factory(url)
            received.keys.append(pushed.key)
            pushed.drain()
        with pushed.runtime.unit_of_work() as session:
            (first,) = session.scalars(select(DeliveryOutbox)).all()
            kept = session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == first.id)
                .order_by(DeliveryAttempt.number)
            ).all()
        assert [(a.number, a.status_code) for a in kept] == [
            (1, 500),
            (2, None),
            (3, None),
            (4, 200),
        ]
        assert kept[0].error == "HTTP 500"
        assert kept[2].error == "timed out"
        assert kept[1].error is not None
        assert all(a.duration_ms >= 0 for a in kept)

    def test_changes_arrive_in_order_with_status_and_date_last_modified(
        self, pushed_factory: Callable[..., Pushed]
    ) -> None:
        with receiver([]) as (url, received):
            pushed = pushed_factory(url)
            received.keys.append(pushed.key)
            pushed.drain()
            pushed.add_students(1)
            pushed.drain()
        documents = [json.loads(received.accepted[k]) for k in dict.fromkeys(received.requests)]
        assert [d["kind"] for d in documents] == ["release", "changes"]
        assert documents[0]["version"] < documents[1]["version"]
        users = documents[1]["objects"]["users"]
        assert len(users) == 1
        assert users[0]["status"] == "active"
        assert users[0]["dateLastModified"]


class TestAReceiverThatNeverRecovers:
    def test_dead_letters_after_the_last_attempt_and_an_admin_retry_sends_the_same_bytes(
        self, pushed_factory: Callable[..., Pushed]
    ) -> None:
        with receiver([], ["500"] * 3) as (url, received):
            pushed = pushed_factory(url, delivery_max_attempts=3)
            received.keys.append(pushed.key)
            pushed.drain()
            assert pushed.states() == {"dead": 1}
            (delivery_id,) = pushed.ids()
            with pushed.runtime.unit_of_work(write=True) as session:
                worker.retry(
                    session,
                    board_id=pushed.board_id,
                    delivery_id=uuid.UUID(delivery_id),
                    at=utcnow(),
                )
            pushed.drain()

            assert pushed.states() == {"delivered": 1}
            assert list(received.accepted) == [delivery_id]
            assert received.requests == [delivery_id] * 4


class TestTheLedger:
    def test_every_pushed_body_is_committed_to_the_ledger_when_it_arrives(
        self, pushed_factory: Callable[..., Pushed]
    ) -> None:
        missing: list[str] = []
        holder: list[Pushed] = []

        def committed_first(body: bytes) -> None:
            """Asked by the receiver while the request is in flight, on its own connection."""
            digest = hashlib.sha256(body).hexdigest()
            with holder[0].runtime.unit_of_work() as session:
                found = session.scalar(
                    select(Entry.id).where(Entry.channel == "push", Entry.response_digest == digest)
                )
            if found is None:
                missing.append(digest)

        with receiver([]) as (url, received):
            pushed = pushed_factory(url)
            holder.append(pushed)
            received.keys.append(pushed.key)
            received.on_body = committed_first
            pushed.add_students(2)
            pushed.drain()

        assert len(received.accepted) == 2
        assert missing == []


class TestAnIdleWorker:
    def test_sees_work_only_while_a_row_is_due(self, pushed_factory: Callable[..., Pushed]) -> None:
        """The check an idle poller makes before it takes the write lock."""
        with receiver([]) as (url, received):
            pushed = pushed_factory(url)
            received.keys.append(pushed.key)
            with pushed.runtime.unit_of_work() as session:
                assert worker.any_due(session, utcnow())
            pushed.drain()
            with pushed.runtime.unit_of_work() as session:
                assert not worker.any_due(session, utcnow())
            pushed.add_students(1)
            with pushed.runtime.unit_of_work() as session:
                assert worker.any_due(session, utcnow())
