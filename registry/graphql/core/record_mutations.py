"""The five mutations of a record kind, made from its EntitySpec and its GraphQL type.

Every kind is written the same way by the services, so its mutations are the same too: one
factory here, and each domain's `mutations.py` is one call of it. For a kind `X`:
`createX(input)`, `updateX(id, version, input)` (partial: fields left out stay), `deleteX(id,
version)`, `restoreX(id, version)` and `upsertXByIdentifier(scheme, value, input, version)`, each
answering `XPayload { record, userErrors }` and each needing a key with the write scope.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from ... import services
from ...services import Author, EntitySpec, FieldError, SaveResult, ServiceError
from .mutations import UserError, load_records, record_id, write
from .permissions import CanWrite
from .write_inputs import write_inputs

__all__ = ["record_mutations"]

Operation = Callable[[AsyncSession, Author], Awaitable[SaveResult]]
RecordId = Annotated[strawberry.ID, strawberry.argument(description="The record's global id")]
Version = Annotated[int, strawberry.argument(description="The record's version you last read")]
CurrentVersion = Annotated[
    int | None, strawberry.argument(description="If given, the record's version you last read (else any)")
]
Scheme = Annotated[str, strawberry.argument(description="Your system's name for its keys, e.g. partner-crm")]
Value = Annotated[str, strawberry.argument(description="Your system's key of the record")]


def _payload(node_type: type, type_name: str) -> type:
    namespace = {
        "__annotations__": {"record": node_type | None, "user_errors": list[UserError]},
        "__module__": __name__,
        "record": strawberry.field(
            description=f"The {type_name} as written (after a delete: its tombstone); null when refused"),
        "user_errors": strawberry.field(description="Why the write was refused (then nothing was written)"),
    }
    return strawberry.type(type(f"{type_name}Payload", (), namespace), name=f"{type_name}Payload",
                           description=f"The answer to a write of a {type_name}")


def _target(node_type: type, id: str) -> uuid.UUID:  # noqa: A002
    problems: list[FieldError] = []
    found = record_id(node_type, id, problems)
    if found is None:
        raise ServiceError(problems)
    return found


def record_mutations(spec: EntitySpec, node_type: type) -> type:
    """A Strawberry type holding the five mutations of `spec`'s kind, shown as `node_type`."""
    type_name = node_type.__strawberry_definition__.name
    inputs = write_inputs(spec, type_name)
    payload = _payload(node_type, type_name)

    async def answer(info: Info, operation: Operation) -> Any:
        written = await write(info, lambda session, author: _one(operation(session, author)))
        if written.errors:
            return payload(record=None, user_errors=written.errors)
        (record,) = await load_records(info, [written.results[0].entity], [node_type], "record")
        return payload(record=record, user_errors=[])

    # the inputs arrive as the plain dicts the services take (see write_inputs)
    Whole = Annotated[inputs.whole, strawberry.argument(description=f"The whole {type_name}")]
    Patch = Annotated[inputs.patch, strawberry.argument(description="The fields to change; those left out stay")]

    async def create(info: Info, input: Whole) -> payload:  # noqa: A002 (the argument's public name)
        return await answer(info, lambda session, author: services.create(session, spec, input, author=author))

    async def update(info: Info, id: RecordId, version: Version, input: Patch) -> payload:  # noqa: A002
        return await answer(info, lambda session, author: services.update(
            session, spec, _target(node_type, id), input, expected_version=version, author=author))

    async def delete(info: Info, id: RecordId, version: Version) -> payload:  # noqa: A002
        return await answer(info, lambda session, author: services.delete(
            session, spec, _target(node_type, id), expected_version=version, author=author))

    async def restore(info: Info, id: RecordId, version: CurrentVersion = None) -> payload:  # noqa: A002
        return await answer(info, lambda session, author: services.restore(
            session, spec, _target(node_type, id), expected_version=version, author=author))

    async def upsert(
        info: Info, scheme: Scheme, value: Value, input: Patch, version: CurrentVersion = None,  # noqa: A002
    ) -> payload:
        return await answer(info, lambda session, author: services.upsert_by_identifier(
            session, spec, scheme, value, input, author=author, expected_version=version))

    def mutation(name: str, resolver: Callable, description: str) -> Any:
        return strawberry.mutation(resolver=resolver, name=name, description=description,
                                   permission_classes=[CanWrite])

    kind = spec.entity_type.value  # Python names too must differ: Mutation inherits every kind's
    namespace = {
        f"create_{kind}": mutation(f"create{type_name}", create,
                           f"A new {type_name} from the whole input (its slug derived from the name if left out)"),
        f"update_{kind}": mutation(f"update{type_name}", update,
                           f"Change the given fields of a {type_name}; `version` is the one you last read "
                           "(stale: a CONFLICT userError with the current version, nothing written)"),
        f"delete_{kind}": mutation(f"delete{type_name}", delete,
                           f"Delete a {type_name} (a tombstone, restorable); `version` is the one you last read"),
        f"restore_{kind}": mutation(f"restore{type_name}", restore,
                            f"Bring a deleted {type_name} back as it was; `version`, if given, must be current"),
        f"upsert_{kind}_by_identifier": mutation(f"upsert{type_name}ByIdentifier", upsert,
                           f"Update the {type_name} carrying the external identifier scheme:value with the "
                           "given fields, or create it from them (then they must make a whole record)"),
    }
    return strawberry.type(type(f"{type_name}Mutation", (), {**namespace, "__module__": __name__}))


async def _one(result: Awaitable[SaveResult]) -> list[SaveResult]:
    return [await result]
