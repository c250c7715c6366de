"""What a kind of record is to the write path, and what a write answers."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import SQLModel

from ..models import ChangeKind
from ..models.enums import EntityType
from .inputs import EntityIn

__all__ = ["EntitySpec", "RelationSpec", "SaveOutcome", "SaveResult"]


@dataclass(frozen=True)
class RelationSpec:
    """Rows a record owns (a person's positions, a project's participants…)."""

    field: str  # the input attribute that lists them
    model: type[SQLModel]
    entity_type: EntityType
    parent_column: str
    refs: Mapping[str, type[SQLModel]] = field(default_factory=dict)  # input field → referenced table
    partial_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    model: type[SQLModel]
    entity_type: EntityType
    name_field: str  # the preferred name, indexed for search with the aliases
    input: type[EntityIn]  # the record's whole input: what create takes and update merges onto
    refs: Mapping[str, type[SQLModel]] = field(default_factory=dict)
    partial_dates: tuple[str, ...] = ()
    relations: tuple[RelationSpec, ...] = ()

    @property
    def kind(self) -> ChangeKind:
        return ChangeKind(self.entity_type.value)


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class SaveResult:
    entity: Any
    outcome: SaveOutcome
