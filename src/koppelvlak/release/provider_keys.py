"""Which internal student a provider means by a key it received from us.

A provider identifies students in what it sends back (UWLR ``leerlingid``) by the key we gave
it: its pseudonym, or the LAS key when ``student.source_key`` is released, or the ECK iD when
``student.eckid`` is. Only students in the connection's *current* release can be named, so a
provider cannot write results about anyone it may not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from koppelvlak.release.values import Release


def students_by_provider_key(release: Release) -> Mapping[str, uuid.UUID]:
    """Every key the provider may use for a released student → the internal person id."""
    keys: dict[str, uuid.UUID] = {}
    for student in release.students:
        keys[student.pseudonym] = student.person_id
        for attribute in ("student.source_key", "student.eckid"):
            value = student.attributes.get(attribute)
            if isinstance(value, str) and value:
                keys.setdefault(value, student.person_id)
    return keys
