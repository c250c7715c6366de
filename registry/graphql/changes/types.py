"""The change feed's types: an entry per committed change, in Relay connections."""

from collections.abc import Callable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from ...models import ChangeAction, ChangeKind
from ...services.feed import ChangeEntry, ChangePage

__all__ = [
    "ChangeActionType", "ChangeConnection", "ChangeEntryType", "ChangeKindType", "FieldChange", "connection",
]

ChangeKindType = strawberry.enum(ChangeKind, name="ChangeKind", description="What a change is about")
ChangeActionType = strawberry.enum(
    ChangeAction, name="ChangeAction", description="What a change did to its record"
)


@strawberry.type(description="One field a change altered, with its value before and after")
class FieldChange:
    field: str = strawberry.field(description="The field's name in the record's snapshot (`data`)")
    before: JSON | None = strawberry.field(description="Its value before the change (null: none)")
    after: JSON | None = strawberry.field(description="Its value after the change (null: none)")


@strawberry.type(name="ChangeEntry", description="One committed change to a record or a country")
class ChangeEntryType:
    cursor: str = strawberry.field(
        description="The change's sequence number: store it and pass it as `after` to ask for what came since"
    )
    kind: ChangeKindType = strawberry.field(description="The kind of record changed")
    id: strawberry.ID | None = strawberry.field(
        description="The record's global id, as `node(id:)` takes it (null for a country: see `countryCode`)"
    )
    country_code: str | None = strawberry.field(
        description="For a change of kind COUNTRY, the country's ISO 3166-1 alpha-2 code (else null)"
    )
    action: ChangeActionType = strawberry.field(
        description="CREATE, UPDATE, DELETE (the record became a tombstone) or RESTORE"
    )
    version: int = strawberry.field(description="The record's version after the change")
    changed_fields: list[FieldChange] | None = strawberry.field(
        description="The fields the change altered, by name (null on changes logged before fields were recorded)"
    )
    data: JSON = strawberry.field(
        description="The whole record as it stood after the change; for a DELETE, its last state (a tombstone)"
    )
    actor: str = strawberry.field(description="Who made the change (an API key's name, or the CLI's user)")
    changed_at: datetime = strawberry.field(description="When the change was committed")
    request_id: str | None = strawberry.field(description="The HTTP request that made the change, if any")

    @classmethod
    def of(cls, entry: ChangeEntry, type_name: str | None) -> "ChangeEntryType":
        """The entry for a service's `ChangeEntry`; `type_name` is the GraphQL type of its record."""
        country = entry.kind is ChangeKind.COUNTRY
        return cls(
            cursor=str(entry.cursor),
            kind=entry.kind,
            id=None if country else str(relay.GlobalID(type_name, str(entry.entity_id))),
            country_code=entry.data.get("code") if country else None,
            action=entry.action,
            version=entry.version,
            changed_fields=None if entry.changes is None else [
                FieldChange(field=name, before=change["before"], after=change["after"])
                for name, change in sorted(entry.changes.items())
            ],
            data=entry.data,
            actor=entry.actor,
            changed_at=entry.changed_at,
            request_id=entry.request_id,
        )


@strawberry.type(
    name="ChangeConnection",
    description="A page of changes, oldest first. It has no totalCount: counting would visit the whole log.",
)
class ChangeConnection(relay.Connection[ChangeEntryType]):
    pass


def connection(
    page: ChangePage, after: int | None, type_name: Callable[[ChangeKind], str | None]
) -> ChangeConnection:
    """The page as a connection; `type_name` names the GraphQL type of a kind's records (for ids)."""
    edges = [relay.Edge(cursor=str(entry.cursor), node=ChangeEntryType.of(entry, type_name(entry.kind)))
             for entry in page.entries]
    return ChangeConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
