from ...services import EVENT
from ..core.record_mutations import record_mutations
from .types import EventType

__all__ = ["EventMutation"]

EventMutation = record_mutations(EVENT, EventType)
