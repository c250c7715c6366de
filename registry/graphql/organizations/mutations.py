from ...services import ORGANIZATION
from ..core.record_mutations import record_mutations
from .types import OrganizationType

__all__ = ["OrganizationMutation"]

OrganizationMutation = record_mutations(ORGANIZATION, OrganizationType)
