"""Admin API: the board's import history and the result batches providers sent back.

The same read services as the ``/imports`` and ``/results`` pages, with the same permission
(any role reads). A result batch is counted, not listed result by result: the results
themselves are read per school with ``koppelvlak results list`` or exported.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.results import history as results
from koppelvlak.roster import history as roster

router = APIRouter(prefix="/admin/api/v1", tags=["admin"])


@router.get("/imports", summary="The board's import and sync runs, newest first (last 50)")
def list_imports(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {
        "imports": [
            {
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "source_kind": run.source_kind,
                "source": run.source,
                "outcome": run.outcome,
                "counts": run.counts,
                "warnings": run.warnings,
                "error": run.error,
                "location": run.location,
            }
            for run in roster.import_runs(work, who.board_id)
        ]
    }


@router.get("/result-batches", summary="Result batches providers returned, newest first (last 50)")
def list_result_batches(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {
        "result_batches": [
            {
                "received_at": batch.received_at.isoformat(),
                "provider_id": str(batch.provider_id),
                "connection_id": str(batch.connection_id),
                "school": f"{batch.brin}{batch.location_code}",
                "school_year": batch.school_year,
                "results": batch.results,
                "students": batch.students,
            }
            for batch in results.received_batches(work, who.board_id)
        ]
    }
