"""Imports every model module so Alembic and the metadata see the whole schema.

One line per bounded context that owns tables; keep it sorted.
"""

from koppelvlak.results import models as results_models
from koppelvlak.roster import models as roster_models

__all__ = ["results_models", "roster_models"]
