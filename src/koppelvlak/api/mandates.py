"""``GET /mandates/verify``: the receiving side checks a school's mandate, without logging in.

Public and rate-limited per client address (the provider API's request limit). The answer is
the mandate's terms or a plain no; an unknown school and a school without a mandate get the
same no, so the check reveals nothing about which schools Koppelvlak serves. Malformed
identifiers and unknown services answer 400 problem+json.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from koppelvlak.api.admin.auth import SessionDep
from koppelvlak.api.ratelimit import RateLimiter, TooManyAttempts, client_address
from koppelvlak.kit.clock import utcnow
from koppelvlak.mandates import service as mandates

router = APIRouter(tags=["mandates"])


def _allowance(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limits.requests
    wait = limiter.retry_after(f"mandate-verify:{client_address(request)}")
    if wait is not None:
        raise TooManyAttempts("too many mandate checks from this address; slow down", wait)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@router.get("/mandates/verify", summary="Does this school mandate this party for this service?")
def verify(
    request: Request,
    work: SessionDep,
    school: Annotated[str, Query(description="BRIN (99XX) or BRIN+location (99XX01)")],
    service: Annotated[str, Query(description="Service name in the register")],
    party: Annotated[str, Query(description="OIN (20 digits) or KvK number (8 digits)")],
) -> dict[str, Any]:
    _allowance(request)
    answer = mandates.verify(work, school=school, service=service, party=party, at=utcnow())
    body: dict[str, Any] = {
        "valid": answer.valid,
        "school": answer.school,
        "service": answer.service,
        "party": answer.party,
        "party_kind": answer.party_kind,
    }
    if answer.valid:
        body["valid_from"] = _day(answer.valid_from)
        body["valid_until"] = _day(answer.valid_until)
    else:
        body["detail"] = "no valid mandate for this school, service and party"
    return body
