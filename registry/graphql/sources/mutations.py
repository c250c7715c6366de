from ...services import SOURCE
from ..core.record_mutations import record_mutations
from .types import SourceType

__all__ = ["SourceMutation"]

SourceMutation = record_mutations(SOURCE, SourceType)
