"""Many upserts by external identifier in one transaction, new records written set-based.

A batch runs the same three phases as a single write (`drafts`: draft, settle, store) over
all its new records at once, so a batch of new records costs a fixed number of statements,
whatever its size: the identifiers' locks, their owners, the slugs' locks, one look-up of every
reference, slug and identifier, one INSERT per table, and at commit one change-log INSERT.
Records are taken in order, with the same outcome as one `upsert_by_identifier` after another:
a record whose identifier is already held (in the database, or by an earlier record of the
batch) is an update, run on its own once the new records before it are written.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from .changes import Author
from .drafts import (
    Draft,
    Wanted,
    derived_slug,
    draft_write,
    identifier_key,
    look_up,
    settle,
    store,
    take_turns,
    validated_input,
)
from .entities import upsert_by_identifier
from .errors import ServiceError
from .inputs import IdentifierIn
from .specs import EntitySpec, SaveResult

__all__ = ["Upsert", "upsert_many"]


@dataclass(frozen=True, slots=True)
class Upsert:
    """One record of a batch: its kind, its external identifier and its fields (see `upsert_by_identifier`)."""

    spec: EntitySpec
    scheme: str
    value: str
    fields: Mapping[str, Any]


def _identifier(upsert: Upsert) -> IdentifierIn | ServiceError:
    try:
        return IdentifierIn(scheme=upsert.scheme, value=upsert.value)
    except ValidationError as exc:
        return ServiceError.from_validation(exc, "identifier")


async def upsert_many(
    session: AsyncSession, upserts: Sequence[Upsert], *, author: Author
) -> list[SaveResult | ServiceError]:
    """Each upsert's result, or why it was refused, in order, in the caller's transaction (which
    the caller rolls back if any was refused: a refused record wrote nothing, the others did)."""
    results: list[SaveResult | ServiceError | None] = [None] * len(upserts)
    identifiers = [_identifier(upsert) for upsert in upserts]
    valid = [(upsert, identifier) for upsert, identifier in zip(upserts, identifiers, strict=True)
             if isinstance(identifier, IdentifierIn)]
    await take_turns(session, [identifier_key(upsert.spec, identifier) for upsert, identifier in valid])
    wanted = Wanted()
    for upsert, identifier in valid:
        wanted.identifiers[upsert.spec.entity_type].add((identifier.scheme, identifier.value))
    held = set(await look_up(session, wanted))  # the identifiers records hold already
    new: list[tuple[int, Draft]] = []  # drafts of new records, not yet written

    async def write_new() -> None:
        await settle(session, [draft for _, draft in new])
        settled = [(index, draft) for index, draft in new if not draft.problems]
        for index, draft in new:
            if draft.problems:
                results[index] = ServiceError(draft.problems)
        written = await store(session, [draft for _, draft in settled], author)
        for (index, _), result in zip(settled, written, strict=True):
            results[index] = result
        new.clear()

    for index, (upsert, identifier) in enumerate(zip(upserts, identifiers, strict=True)):
        if isinstance(identifier, ServiceError):
            results[index] = identifier
            continue
        spec = upsert.spec
        if ("identifier", str(spec.entity_type), identifier.scheme, identifier.value) in held:
            if new:  # the update may refer to them, or be of one of them
                await write_new()
            try:
                results[index] = await upsert_by_identifier(
                    session, spec, identifier.scheme, identifier.value, upsert.fields, author=author)
            except ServiceError as error:
                results[index] = error
            continue
        try:
            slug, data = validated_input(spec, upsert.fields, identifier)
        except ServiceError as error:
            results[index] = error
            continue
        derived = slug is None
        new.append((index, draft_write(spec, None, derived_slug(spec, data) if derived else slug, data, None,
                                  slug_derived=derived, free_identifier=identifier)))
        # a later record with any of its identifiers updates it (or, if it is refused, creates one)
        held.update(("identifier", str(spec.entity_type), i.scheme, i.value) for i in data.identifiers)
    if new:
        await write_new()
    return results  # type: ignore[return-value]  (every index was filled)
