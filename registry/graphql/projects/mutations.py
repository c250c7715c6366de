from ...services import PROJECT
from ..core.record_mutations import record_mutations
from .types import ProjectType

__all__ = ["ProjectMutation"]

ProjectMutation = record_mutations(PROJECT, ProjectType)
