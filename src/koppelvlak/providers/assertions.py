"""Replay protection for ``private_key_jwt`` client assertions: each ``jti`` is used once.

A used ``jti`` is kept until its assertion expires; the primary key on (credential, jti) makes
two concurrent uses of one assertion collide, so exactly one of them wins. Expired rows of the
same credential are removed on the way, which bounds the table by the assertions still alive.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from koppelvlak.providers.models import UsedClientAssertion


def use_client_assertion(
    session: Session, credential_id: uuid.UUID, jti: str, expires_at: datetime, at: datetime
) -> bool:
    """Record ``jti`` as used; ``False`` when it was used before and has not yet expired."""
    session.execute(
        delete(UsedClientAssertion).where(
            UsedClientAssertion.credential_id == credential_id,
            UsedClientAssertion.expires_at <= at,
        )
    )
    seen = session.scalar(
        select(UsedClientAssertion.jti).where(
            UsedClientAssertion.credential_id == credential_id, UsedClientAssertion.jti == jti
        )
    )
    if seen is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                UsedClientAssertion(credential_id=credential_id, jti=jti, expires_at=expires_at)
            )
    except IntegrityError:
        # Another request recorded the same jti between our read and our insert.
        return False
    return True
