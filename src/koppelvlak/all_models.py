"""Imports every model module so Alembic and the metadata see the whole schema.

One line per bounded context that owns tables; keep it sorted.
"""

from koppelvlak.accounts import models as accounts_models
from koppelvlak.audit import models as audit_models
from koppelvlak.catalogue import models as catalogue_models
from koppelvlak.connections import models as connections_models
from koppelvlak.delivery import models as delivery_models
from koppelvlak.incidents import models as incidents_models
from koppelvlak.mandates import models as mandates_models
from koppelvlak.policies import models as policies_models
from koppelvlak.providers import models as providers_models
from koppelvlak.release import models as release_models
from koppelvlak.results import models as results_models
from koppelvlak.rights import holds_models as rights_holds_models
from koppelvlak.rights import models as rights_models
from koppelvlak.roster import models as roster_models

__all__ = [
    "accounts_models",
    "audit_models",
    "catalogue_models",
    "connections_models",
    "delivery_models",
    "incidents_models",
    "mandates_models",
    "policies_models",
    "providers_models",
    "release_models",
    "results_models",
    "rights_holds_models",
    "rights_models",
    "roster_models",
]
