"""Admin API: the result batches providers sent back.

The same read service as the ``/results`` page, with the same permission (any role reads).
The import history has no twin here: the provider-facing package never imports the roster
(the import-linter contract), and ``koppelvlak import`` reports each run where it ran. A result
batch is counted, not listed result by result: the results themselves are read per school with
``koppelvlak results list`` or exported.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.results import history as results

router = APIRouter(prefix="/admin/api/v1", tags=["admin"])


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
