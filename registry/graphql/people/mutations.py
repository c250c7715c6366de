from ...services import PERSON
from ..core.record_mutations import record_mutations
from .types import PersonType

__all__ = ["PersonMutation"]

PersonMutation = record_mutations(PERSON, PersonType)
