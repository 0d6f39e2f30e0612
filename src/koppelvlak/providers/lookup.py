"""Find a provider or an app by what an operator or school admin types, not only by its id.

An admin knows a provider by its name or KvK number and an app by its name; the ids are for
machines. Each finder takes an id, a name (any case), a slug (``leesland-b-v``) or, for a
provider, the KvK number; for an app also ``provider/app``. A value that fits several records
is refused with every candidate and its id listed, so the admin can pick one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from koppelvlak.errors import Ambiguous
from koppelvlak.providers import repository
from koppelvlak.providers.errors import AppNotFound, ProviderNotFound
from koppelvlak.providers.models import App, Provider


def slug(name: str) -> str:
    """``Leesland B.V.`` → ``leesland-b-v``: a name as one may type it in a shell."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def _as_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _fits(value: str, name: str) -> bool:
    return value.casefold() == name.casefold() or (bool(slug(value)) and slug(value) == slug(name))


def _one(value: str, what: str, found: list[tuple[str, uuid.UUID]]) -> uuid.UUID:
    if len(found) > 1:
        listed = ", ".join(f"{label} ({found_id})" for label, found_id in sorted(found))
        raise Ambiguous(f"{value!r} fits {len(found)} {what}s: {listed}; give the id")
    return found[0][1]


def find_provider(session: Session, value: str) -> Provider:
    """The provider with this id, name, slug or KvK number."""
    value = value.strip()
    wanted = _as_id(value)
    if wanted is not None:
        provider = repository.provider(session, wanted)
        if provider is None:
            raise ProviderNotFound(f"no provider with id {wanted}")
        return provider
    providers = {p.id: p for p in repository.providers(session)}
    found = [
        (p.name, p.id) for p in providers.values() if value == p.kvk_number or _fits(value, p.name)
    ]
    if not found:
        raise ProviderNotFound(
            f"no provider with id, name, slug or KvK number {value!r}; "
            "'koppelvlak provider list' shows them"
        )
    return providers[_one(value, "provider", found)]


def find_app(session: Session, value: str) -> App:
    """The app with this id, name or slug, optionally as ``provider/app``."""
    value = value.strip()
    wanted = _as_id(value)
    if wanted is not None:
        app = repository.app(session, wanted)
        if app is None:
            raise AppNotFound(f"no app with id {wanted}")
        return app
    owner, _, name = value.rpartition("/")
    apps = {a.id: (a, p) for p, a in _all_apps(session)}
    found = [
        (f"{a.name} of {p.name}", a.id)
        for a, p in apps.values()
        if _fits(name, a.name) and (not owner or _fits(owner, p.name) or owner == p.kvk_number)
    ]
    if not found:
        raise AppNotFound(
            f"no app with id, name or slug {value!r}; 'koppelvlak provider list' shows them"
        )
    return apps[_one(value, "app", found)][0]


def _all_apps(session: Session) -> Iterable[tuple[Provider, App]]:
    for provider in repository.providers(session):
        for app in repository.apps_of(session, provider.id):
            yield provider, app
