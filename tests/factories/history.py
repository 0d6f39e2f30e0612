"""Import runs and result batches as their contexts store them, for the pages and APIs over them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from koppelvlak.results.models import ResultBatch, ResultScore
from koppelvlak.roster.models import ImportOutcome, ImportRun
from tests.factories.providers import T0


def import_and_result_history(
    session: Session,
    *,
    board_id: uuid.UUID,
    code: str,
    connection_id: uuid.UUID,
    provider_id: uuid.UUID,
    brin: str,
    student_id: uuid.UUID,
) -> None:
    """Two import runs (one refused) and one result batch of two results about one student."""
    counts = {"student": {"added": 3, "changed": 1, "removed": 0, "total": 3}}
    session.add_all(
        [
            ImportRun(
                board_id=board_id,
                started_at=T0,
                finished_at=T0,
                source_kind="uwlr",
                source=f"{code}-first.xml",
                outcome=ImportOutcome.OK,
                counts=counts,
                warnings=["leerling 7: geen geboortedatum"],
            ),
            ImportRun(
                board_id=board_id,
                started_at=T0 + timedelta(days=1),
                finished_at=T0 + timedelta(days=1),
                source_kind="uwlr",
                source=f"{code}-broken.xml",
                outcome=ImportOutcome.ERROR,
                error="not a UWLR file",
                location="line 1",
            ),
        ]
    )
    batch = ResultBatch(
        board_id=board_id,
        connection_id=connection_id,
        provider_id=provider_id,
        brin=brin,
        location_code="00",
        school_year="2025-2026",
        created_at_source=T0,
        xsd_version="2.2",
        received_at=T0,
    )
    session.add(batch)
    session.flush()
    session.add_all(
        ResultScore(
            board_id=board_id,
            batch_id=batch.id,
            connection_id=connection_id,
            student_id=student_id,
            provider_student_key="p-1",
            result_key=f"{code}-{n}",
            taken_on=date(2026, 1, 15),
            test_code="REKENEN",
            score=50 + n,
            xml="<resultaat/>",
        )
        for n in range(2)
    )
