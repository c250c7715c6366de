from ...services import FIGURE
from ..core.record_mutations import record_mutations
from .types import FigureType

__all__ = ["FigureMutation"]

FigureMutation = record_mutations(FIGURE, FigureType)
