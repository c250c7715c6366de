"""Typed errors of the write path: every problem names the field and says why."""

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ErrorCode", "FieldError", "ServiceError"]


class ErrorCode(StrEnum):
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    UNIQUE = "unique"
    DUPLICATE = "duplicate"


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
