"""What every mutation shares: userErrors, one write transaction, and the record it answers with.

A mutation calls a service inside `write`: one session, one transaction (a savepoint of the
request's when it carries an Idempotency-Key), committed when the service returns and rolled
back when it refuses, so a refused write leaves nothing behind. Every
refusal (a ServiceError, or a unique constraint a concurrent writer won) becomes userErrors whose
`field` is the path into the mutation's arguments, as clients wrote them:
"participants.0.organization" of the input is ["input", "participants", 0, "organization"].
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info
from strawberry.relay import GlobalID, GlobalIDValueError
from strawberry.scalars import JSON

from ...services import Author, ErrorCode, FieldError, SaveResult, ServiceError, VersionConflict
from ...services.records import record_columns
from .compat import to_camel_case
from .prefetch import prefetch, selections_under
from .types import build

__all__ = ["UserError", "Written", "field_path", "load_records", "record_id", "user_errors", "write"]

# Service paths that name a mutation argument beside `input` rather than a field in it.
_ARGUMENTS = {"id": ["id"], "version": ["version"], "identifier": []}


@strawberry.type(description="Why a write was refused; nothing of it was written")
class UserError:
    field: list[JSON] = strawberry.field(
        description='Path to the input at fault, e.g. ["input", "participants", 0, "organization"]'
    )
    code: str = strawberry.field(
        description="INVALID, REQUIRED, NOT_FOUND, UNIQUE, DUPLICATE, CONFLICT (a stale version), "
        "DELETED (restore it first), NOT_DELETED, or TOO_LARGE"
    )
    message: str = strawberry.field(description="What is wrong, in words")
    current_version: int | None = strawberry.field(
        default=None, description="On CONFLICT: the record's current version (read it again, reapply)"
    )


def field_path(dotted: str, prefix: Sequence[str | int] = ("input",)) -> list[str | int]:
    """A service's dotted field path as the client's path: camel-cased names, list indexes as ints."""
    head, _, rest = dotted.partition(".")
    if head in _ARGUMENTS:
        steps: list[str | int] = [*prefix[:-1], *_ARGUMENTS[head]]
        dotted = rest
    else:
        steps = list(prefix)
    for part in dotted.split(".") if dotted else ():
        steps.append(int(part) if part.isdigit() else to_camel_case(part))
    return steps


def user_errors(error: ServiceError, prefix: Sequence[str | int] = ("input",)) -> list[UserError]:
    current = error.current_version if isinstance(error, VersionConflict) else None
    return [
        UserError(field=field_path(problem.field, prefix), code=problem.code.upper(), message=problem.message,
                  current_version=current)
        for problem in error.errors
    ]


@dataclass(frozen=True, slots=True)
class Written:
    results: list[SaveResult]
    errors: list[UserError]


async def write(
    info: Info, operation: Callable[[AsyncSession, Author], Awaitable[list[SaveResult]]],
    prefix: Sequence[str | int] = ("input",),
) -> Written:
    """Run `operation` in a transaction of its own (or a savepoint of the request's, see
    `Context.hold_writes`): committed if it returns, rolled back (and its refusal turned into
    userErrors) if it raises ServiceError."""
    context = info.context
    try:
        async with context.write_transaction() as session:
            results = await operation(session, context.author)
    except ServiceError as error:
        return Written([], user_errors(error, prefix))
    except IntegrityError:
        # A unique value the services do not check before writing (a source's file, an alias or
        # citation given twice), or one a concurrent writer took after the checks: the database
        # refused it, so nothing was written.
        taken = FieldError("", ErrorCode.UNIQUE, "another record or row already holds one of its unique values "
                           "(a slug, identifier or source file, or an alias, tag or citation given twice)")
        return Written([], user_errors(ServiceError([taken]), prefix))
    context.forget_loaded()  # later fields of this request must read what was just written
    return Written(results, [])


def record_id(node_type: type, id: str | None, errors: list[FieldError]) -> uuid.UUID | None:  # noqa: A002
    """The record's uuid from its global id (a problem is added to `errors` if it names none of
    `node_type`'s records)."""
    try:
        global_id = GlobalID.from_id(id)
        if global_id.type_name == node_type.__strawberry_definition__.name:
            return uuid.UUID(global_id.node_id)
    except (GlobalIDValueError, ValueError):
        pass
    errors.append(FieldError("id", ErrorCode.NOT_FOUND, f"no {node_type.ENTITY_TYPE} with id {id!r:.100}"))
    return None


async def load_records(info: Info, entities: Sequence[Any], node_types: Sequence[type], *path: str) -> list[Any]:
    """The written records as GraphQL objects, in order (tombstones too: a delete answers with its
    record), with every relationship the client selected under `path` filled in.

    Built from the records the write returns, which hold every column as written
    (`registry.services.records`): reading the rows back cost a statement and a tenth of a single
    upsert's CPU. Their times are given as a read gives them (SQLite's without their zone)."""
    as_read = _AS_READ.get(info.context.dialect)
    latest = {entity.id: entity for entity in entities}  # a batch may write a record twice: as it stands after
    records = [build(node_type, _columns(latest[entity.id], as_read))
               for entity, node_type in zip(entities, node_types, strict=True)]
    await prefetch(info, records, selections_under(info.selected_fields[0].selections, *path))
    return records


def _columns(entity: Any, as_read: Callable[[Any], Any] | None) -> dict[str, Any]:
    values = record_columns(entity)
    return {name: as_read(value) for name, value in values.items()} if as_read is not None else values


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


# SQLite keeps times without their zone (SQLAlchemy writes them as UTC text), so reads give them naive
_AS_READ = {"sqlite": _naive_utc}
