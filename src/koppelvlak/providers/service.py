"""Provider use cases: apply, accredit, apps; credentials and datasets re-exported here.

Other contexts call ``providers.service.*`` only; the functions live in modules named for their
job (``credentials.py``, ``datasets.py``).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.kit import changes
from koppelvlak.kit.clock import as_utc
from koppelvlak.providers import repository
from koppelvlak.providers.assertions import use_client_assertion
from koppelvlak.providers.credentials import (
    authenticate_client,
    authenticate_uwlr,
    client_principal,
    client_public_key,
    create_credential,
    create_uwlr_key,
    credential_is_usable,
    revoke_credential,
    revoke_uwlr_key,
    rotate_secret,
    set_public_key,
)
from koppelvlak.providers.datasets import (
    add_dataset_version,
    dataset_version_view,
    diff_versions,
    latest_version_view,
)
from koppelvlak.providers.errors import (
    AppNotFound,
    DuplicateProvider,
    InvalidAccreditation,
    InvalidApplication,
    ProviderNotFound,
)
from koppelvlak.providers.models import (
    AccreditationDecision,
    AccreditationState,
    App,
    Provider,
)
from koppelvlak.providers.schemas import Application, ProviderView

__all__ = [
    "accredit",
    "add_app",
    "add_dataset_version",
    "apply",
    "authenticate_client",
    "authenticate_uwlr",
    "client_principal",
    "client_public_key",
    "create_credential",
    "create_uwlr_key",
    "credential_is_usable",
    "dataset_version_view",
    "diff_versions",
    "get_provider",
    "latest_version_view",
    "list_providers",
    "revoke_credential",
    "revoke_uwlr_key",
    "rotate_secret",
    "set_public_key",
    "use_client_assertion",
]

_KVK = re.compile(r"^\d{8}$")
_OIN = re.compile(r"^\d{20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Which accreditation changes the operator may make.
ACCREDITATION_TRANSITIONS: dict[AccreditationState, frozenset[AccreditationState]] = {
    AccreditationState.APPLIED: frozenset(
        {AccreditationState.ACCREDITED, AccreditationState.WITHDRAWN}
    ),
    AccreditationState.ACCREDITED: frozenset(
        {AccreditationState.SUSPENDED, AccreditationState.WITHDRAWN}
    ),
    AccreditationState.SUSPENDED: frozenset(
        {AccreditationState.ACCREDITED, AccreditationState.WITHDRAWN}
    ),
    AccreditationState.WITHDRAWN: frozenset(),
}


def _check_application(application: Application) -> None:
    if not application.name.strip():
        raise InvalidApplication("name must not be empty")
    if not _KVK.match(application.kvk_number):
        raise InvalidApplication(f"KvK number {application.kvk_number!r} must be 8 digits")
    if application.oin is not None and not _OIN.match(application.oin):
        raise InvalidApplication(f"OIN {application.oin!r} must be 20 digits")
    for label, value in (
        ("contact e-mail", application.contact_email),
        ("security contact e-mail", application.security_contact_email),
    ):
        if not _EMAIL.match(value):
            raise InvalidApplication(f"{label} {value!r} is not an e-mail address")
    if not application.privacy_statement_url.startswith("https://"):
        raise InvalidApplication("privacy statement address must start with https://")


def apply(session: Session, application: Application, at: datetime) -> Provider:
    """Register an organisation in state ``applied``; the operator decides on accreditation."""
    _check_application(application)
    if repository.provider_by_kvk(session, application.kvk_number) is not None:
        raise DuplicateProvider(
            f"a provider with KvK number {application.kvk_number} has applied already; it "
            "completes its application (such as the agreement dates) with its credential "
            "instead of applying again"
        )
    provider = Provider(
        name=application.name.strip(),
        kvk_number=application.kvk_number,
        oin=application.oin,
        contact_email=application.contact_email,
        security_contact_email=application.security_contact_email,
        privacy_statement_url=application.privacy_statement_url,
        covenant_signed_on=application.covenant_signed_on,
        processing_agreement_on=application.processing_agreement_on,
        processing_agreement_version=application.processing_agreement_version,
        accreditation_state=AccreditationState.APPLIED,
        created_at=at,
        updated_at=at,
    )
    session.add(provider)
    session.flush()
    return provider


def complete_agreements(
    session: Session,
    provider_id: uuid.UUID,
    *,
    at: datetime,
    covenant_signed_on: date | None = None,
    processing_agreement_on: date | None = None,
    processing_agreement_version: str | None = None,
) -> Provider:
    """Add or correct the agreement dates after applying (accreditation needs both dates).

    A value left out stays as it is; a signing date cannot lie in the future.
    """
    provider = _provider(session, provider_id)
    if provider.accreditation_state is AccreditationState.WITHDRAWN:
        raise InvalidApplication("a withdrawn provider cannot change its agreements")
    if (covenant_signed_on, processing_agreement_on, processing_agreement_version) == (
        None,
        None,
        None,
    ):
        raise InvalidApplication(
            "nothing to change; expected covenant_signed_on, processing_agreement_on or "
            "processing_agreement_version"
        )
    for label, value in (
        ("covenant_signed_on", covenant_signed_on),
        ("processing_agreement_on", processing_agreement_on),
    ):
        if value is not None and value > as_utc(at).date():
            raise InvalidApplication(
                f"{label} {value.isoformat()} lies in the future; expected the date it was signed"
            )
    if processing_agreement_version is not None:
        if not processing_agreement_version.strip():
            raise InvalidApplication("processing_agreement_version must not be empty")
        provider.processing_agreement_version = processing_agreement_version.strip()
    if covenant_signed_on is not None:
        provider.covenant_signed_on = covenant_signed_on
    if processing_agreement_on is not None:
        provider.processing_agreement_on = processing_agreement_on
    provider.updated_at = at
    session.flush()
    return provider


def accredit(
    session: Session,
    provider_id: uuid.UUID,
    state: AccreditationState,
    *,
    actor: str,
    at: datetime,
    reason: str | None = None,
) -> Provider:
    """The operator's decision; accrediting needs a signed covenant and processing agreement."""
    provider = _provider(session, provider_id)
    current = provider.accreditation_state
    if state not in ACCREDITATION_TRANSITIONS[current]:
        raise InvalidAccreditation(f"a provider that is {current} cannot become {state}")
    if state is AccreditationState.ACCREDITED and (
        provider.covenant_signed_on is None or provider.processing_agreement_on is None
    ):
        raise InvalidAccreditation(
            "accreditation needs the privacy covenant and the processing agreement signed"
        )
    if state is not AccreditationState.ACCREDITED and not (reason or "").strip():
        raise InvalidAccreditation(f"a reason is required to make a provider {state}")
    provider.accreditation_state = state
    changes.provider_changed(session, provider.id, at)
    provider.decided_by, provider.decided_at, provider.decision_reason = actor, at, reason
    session.add(
        AccreditationDecision(
            provider_id=provider.id, state=state, decided_by=actor, decided_at=at, reason=reason
        )
    )
    session.flush()
    return provider


def accredited_at(session: Session, provider_id: uuid.UUID, at: datetime) -> bool | None:
    """Whether the operator's decisions in force at ``at`` had the provider accredited.

    None when no decision is recorded at all (only the present state is known).
    """
    decisions = session.execute(
        select(AccreditationDecision.state, AccreditationDecision.decided_at)
        .where(AccreditationDecision.provider_id == provider_id)
        .order_by(AccreditationDecision.decided_at)
    ).all()
    if not decisions:
        return None
    moment = as_utc(at)
    then = [state for state, decided_at in decisions if as_utc(decided_at) <= moment]
    return bool(then) and then[-1] is AccreditationState.ACCREDITED


def add_app(
    session: Session, provider_id: uuid.UUID, name: str, description: str | None = None
) -> App:
    _provider(session, provider_id)
    if not name.strip():
        raise InvalidApplication("app name must not be empty")
    if repository.app_by_name(session, provider_id, name.strip()) is not None:
        raise DuplicateProvider(f"the provider has an app named {name.strip()!r} already")
    app = App(provider_id=provider_id, name=name.strip(), description=description)
    session.add(app)
    session.flush()
    return app


def get_provider(session: Session, provider_id: uuid.UUID) -> ProviderView:
    provider = _provider(session, provider_id)
    return _view(session, provider)


def list_providers(session: Session) -> list[ProviderView]:
    return [_view(session, p) for p in repository.providers(session)]


def apps_of(session: Session, provider_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The provider's apps as (id, name), for lists that show the ids commands take."""
    return [(a.id, a.name) for a in repository.apps_of(session, provider_id)]


def app_of(session: Session, app_id: uuid.UUID) -> App:
    app = repository.app(session, app_id)
    if app is None:
        raise AppNotFound(f"no app with id {app_id}")
    return app


def _provider(session: Session, provider_id: uuid.UUID) -> Provider:
    provider = repository.provider(session, provider_id)
    if provider is None:
        raise ProviderNotFound(f"no provider with id {provider_id}")
    return provider


def _view(session: Session, provider: Provider) -> ProviderView:
    return ProviderView(
        provider_id=provider.id,
        name=provider.name,
        kvk_number=provider.kvk_number,
        oin=provider.oin,
        accreditation_state=provider.accreditation_state,
        decided_by=provider.decided_by,
        decided_at=provider.decided_at,
        decision_reason=provider.decision_reason,
        privacy_statement_url=provider.privacy_statement_url,
        apps=tuple(a.name for a in repository.apps_of(session, provider.id)),
        covenant_signed_on=provider.covenant_signed_on,
        processing_agreement_on=provider.processing_agreement_on,
        processing_agreement_version=provider.processing_agreement_version,
    )
