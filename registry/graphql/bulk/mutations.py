"""`bulkUpsert`: up to 1,000 records of mixed kinds, all written or none.

Each record is an upsert by its external identifier, in order, in one transaction; new records
are written together, in a fixed number of statements (`services.bulk.upsert_many`). A refused
record has written nothing (the services check everything before they write), so the records
after it are still checked and the answer names every problem with its index; then one problem
rolls the whole batch back. No savepoints: on SQLite, pysqlite opens no transaction before a
SAVEPOINT that comes first, so its RELEASE would commit the records before it for good.
Records refer to each other by slug, which the services resolve in the batch's own transaction:
a project may name an organization created earlier in the same batch.

Limits: 1,000 records (the list limit of every other argument is 100, see `argument_values`),
and `REGISTRY_BULK_MAX_ROWS` rows in all (aliases, citations, participants…) so that one request
cannot ask for millions of reference look-ups; the request body limit for callers with a key is
`REGISTRY_MAX_WRITE_BODY_BYTES`.
"""

from typing import Annotated, Any

import strawberry
from strawberry import Info

from ... import services
from ...services import Author, FieldError, SaveResult, ServiceError
from ...services.bulk import Upsert, upsert_many
from ..core.argument_values import allow_longer_lists
from ..core.compat import UNSET
from ..core.mutations import UserError, load_records, user_errors, write
from ..core.permissions import CanWrite
from ..core.prefetch import selections_under
from ..core.registry import NODE_TYPES
from ..core.types import Record
from ..core.write_inputs import plain_fields, write_inputs

__all__ = ["MAX_BULK_RECORDS", "BulkMutation"]

MAX_BULK_RECORDS = 1_000
_KINDS = {str(spec.entity_type): (spec, NODE_TYPES[spec.entity_type]) for spec in services.RECORD_SPECS}


def _bulk_record_input() -> type:
    annotations: dict[str, Any] = {"scheme": str, "value": str}
    namespace: dict[str, Any] = {
        "__annotations__": annotations,
        "__module__": __name__,
        "scheme": strawberry.field(description="Your system's name for its keys, e.g. partner-crm"),
        "value": strawberry.field(description="Your system's key of the record"),
    }
    for kind, (spec, node_type) in _KINDS.items():
        type_name = node_type.__strawberry_definition__.name
        annotations[kind] = write_inputs(spec, type_name).patch | None
        namespace[kind] = strawberry.field(
            default=UNSET, description=f"The {type_name}'s fields (give exactly one kind per record)")
    return plain_fields(strawberry.input(
        type("BulkRecordInput", (), namespace), name="BulkRecordInput",
        description="One record of a bulk upsert: its external identifier and its fields"))


BulkRecordInput = _bulk_record_input()
allow_longer_lists("BulkRecordInput", MAX_BULK_RECORDS)


@strawberry.type(description="The answer to bulkUpsert")
class BulkUpsertPayload:
    records: list[Record] = strawberry.field(
        description="The records as written, in the order given; empty when refused")
    user_errors: list[UserError] = strawberry.field(
        description='Every problem of the batch, each at its record\'s index: ["records", 3, "project", …]')


def _kind_of(index: int, record: dict[str, Any]) -> tuple[str | None, list[FieldError]]:
    given = [kind for kind in _KINDS if record.get(kind) is not None]
    if len(given) == 1:
        return given[0], []
    return None, [FieldError(f"records.{index}", services.ErrorCode.INVALID,
                             f"give exactly one of {', '.join(_KINDS)}; got {len(given)}")]


def _rows(value: Any) -> int:
    """How many list items `value` holds, at any depth (walked in one loop: a call for every
    value of 500 records cost more than the count is worth)."""
    count, pending = 0, [value]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending += value.values()
        elif isinstance(value, list):
            count += len(value)
            pending += value
    return count


def _at(index: int, kind: str, problem: FieldError) -> FieldError:
    """A record's problem at its path in the batch; the identifier sits beside the record's fields."""
    head, _, rest = problem.field.partition(".")
    path = f"records.{index}.{rest}" if head == "identifier" else f"records.{index}.{kind}.{problem.field}"
    return FieldError(path.rstrip("."), problem.code, problem.message)


async def _upsert_all(
    session: Any, author: Author, batch: list[tuple[int, str, dict[str, Any]]], problems: list[FieldError]
) -> list[SaveResult]:
    """Every record of `batch` upserted in order; raises with `problems` and each record's own."""
    upserts = [Upsert(_KINDS[kind][0], record["scheme"], record["value"], record[kind]) for _, kind, record in batch]
    results = await upsert_many(session, upserts, author=author)
    for (index, kind, _), result in zip(batch, results, strict=True):
        if isinstance(result, ServiceError):
            problems += [_at(index, kind, problem) for problem in result.errors]
    if problems:
        raise ServiceError(problems)
    return results


@strawberry.type
class BulkMutation:
    @strawberry.mutation(
        name="bulkUpsert", permission_classes=[CanWrite],
        description=f"Upsert up to {MAX_BULK_RECORDS} records of mixed kinds by their external identifiers, "
        "in order, all or nothing: one refused record writes none, and userErrors name every problem",
    )
    async def bulk_upsert(
        self, info: Info,
        records: Annotated[list[BulkRecordInput], strawberry.argument(  # type: ignore[valid-type] (plain dicts)
            description=f"The records, at most {MAX_BULK_RECORDS}; a later one may refer to an earlier one by slug")],
    ) -> BulkUpsertPayload:
        problems, batch = [], []
        for index, record in enumerate(records):
            kind, kind_problems = _kind_of(index, record)
            problems += kind_problems
            if kind is not None:
                batch.append((index, kind, record))
        rows = sum(_rows(record[kind]) for _, kind, record in batch)
        most = info.context.settings.bulk_max_rows
        if rows > most:  # refused unrun: running it is the cost the limit is there to spare
            too_many = FieldError("records", services.ErrorCode.INVALID,
                                  f"holds {rows} rows (aliases, citations, participants…); at most {most}")
            return BulkUpsertPayload(records=[], user_errors=user_errors(ServiceError([too_many]), prefix=()))
        async with info.context.slots.bulk:  # a batch holds much memory while it runs: a few at a time
            written = await write(info, lambda session, author: _upsert_all(session, author, batch, problems), prefix=())
            if written.errors:
                return BulkUpsertPayload(records=[], user_errors=written.errors)
            if not selections_under(info.selected_fields[0].selections, "records"):
                return BulkUpsertPayload(records=[], user_errors=[])  # not asked for, so not read back
            entities = [result.entity for result in written.results]
            node_types = [_KINDS[kind][1] for _, kind, _ in batch]
            records = await load_records(info, entities, node_types, "records")
        return BulkUpsertPayload(records=records, user_errors=[])

