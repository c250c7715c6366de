from ...services import AGREEMENT
from ..core.record_mutations import record_mutations
from .types import AgreementType

__all__ = ["AgreementMutation"]

AgreementMutation = record_mutations(AGREEMENT, AgreementType)
