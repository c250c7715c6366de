"""Typed errors of the write path: every problem names the field and says why."""

from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

__all__ = ["ErrorCode", "FieldError", "ServiceError", "VersionConflict"]


class ErrorCode(StrEnum):
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    UNIQUE = "unique"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"  # the record changed since the version the client read
    DELETED = "deleted"  # the record is a tombstone: restore it first
    NOT_DELETED = "not_deleted"  # restore of a live record


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # dotted path into the input, e.g. "participants.0.organization"
    code: ErrorCode
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ServiceError(Exception):
    """A write was refused; nothing of it was written (the caller's transaction rolls back)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    @classmethod
    def single(cls, field: str, code: ErrorCode, message: str) -> "ServiceError":
        return cls([FieldError(field, code, message)])

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: str = "") -> "ServiceError":
        """Every problem pydantic found in an input, at its path under `prefix`."""
        return cls([
            FieldError(
                ".".join([prefix, *map(str, problem["loc"])] if prefix else map(str, problem["loc"])),
                ErrorCode.REQUIRED if problem["type"] == "missing" else ErrorCode.INVALID,
                problem["msg"],
            )
            for problem in error.errors()
        ])


class VersionConflict(ServiceError):
    """An update or delete named a version other than the record's current one: nothing was written."""

    def __init__(self, expected: int, current: int):
        self.current_version = current
        super().__init__([
            FieldError("version", ErrorCode.CONFLICT,
                       f"the record is at version {current}, not {expected}: read it again and reapply the change")
        ])
