"""The rights mails: request received, approved, done, and deadline near — Dutch, then English.

They are queued with ``kit.mail.send_after_commit``, so a step that rolls back mails nobody.
The requester's mail names the kind of request and its deadline, never the person's data: the
address was typed by whoever filed the request and may be mistyped.
"""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from koppelvlak.kit.mail import Mail, send_after_commit
from koppelvlak.rights.models import RequestKind, RightsRequest

_templates = Environment(
    loader=PackageLoader("koppelvlak.rights", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),  # text mail
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

KIND_NL: dict[RequestKind, str] = {
    RequestKind.ACCESS: "inzage",
    RequestKind.RECTIFICATION: "rectificatie (correctie)",
    RequestKind.ERASURE: "verwijdering",
    RequestKind.RESTRICTION: "beperking van de verwerking",
    RequestKind.OBJECTION: "bezwaar",
}
KIND_EN: dict[RequestKind, str] = {
    RequestKind.ACCESS: "access",
    RequestKind.RECTIFICATION: "rectification",
    RequestKind.ERASURE: "erasure",
    RequestKind.RESTRICTION: "restriction of processing",
    RequestKind.OBJECTION: "objection",
}

SUBJECTS = {
    "received": "Verzoek ontvangen / Request received",
    "approved": "Verzoek goedgekeurd / Request approved",
    "done": "Verzoek uitgevoerd / Request carried out",
    "refused": "Verzoek afgewezen / Request refused",
    "deadline": "Termijn verloopt bijna / Deadline near",
    "new_request": "Nieuw verzoek van een betrokkene / New data-subject request",
}


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _mail(to: str, name: str, request: RightsRequest) -> Mail:
    text = _templates.get_template(f"mail_{name}.txt").render(
        request=request,
        kind_nl=KIND_NL[request.kind],
        kind_en=KIND_EN[request.kind],
        deadline=_day(request.deadline),
        received=_day(request.received_at),
    )
    return Mail(to=to, subject=SUBJECTS[name], text=text)


def to_requester(session: Session, request: RightsRequest, name: str) -> None:
    """Tell whoever filed the request (when they left an address) that it moved on."""
    if request.contact_email:
        send_after_commit(session, _mail(request.contact_email, name, request))


def to_dpo(session: Session, request: RightsRequest, name: str, dpo_email: str | None) -> None:
    """Tell the DPO (the board's FG), when an address is configured."""
    if dpo_email:
        send_after_commit(session, _mail(dpo_email, name, request))
