"""Imports every model module so Alembic and the metadata see the whole schema.

One line per bounded context that owns tables; keep it sorted.
"""

from koppelvlak.audit import models as audit_models  # noqa: F401  (registers the ledger tables)
from koppelvlak.roster import models as roster_models

__all__ = ["roster_models"]
