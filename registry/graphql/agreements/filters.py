from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import relay

from ...models import Agreement, AgreementParty, AgreementSignatory
from ...models.base import undated_last
from ...models.enums import EntityType
from ..core.enums import AgreementKind, AgreementStatus, OrderDirection
from ..core.filters import DateWindow, RecordFilter, node_uuid, overlaps

__all__ = ["ORDER_COLUMNS", "AgreementFilter", "AgreementOrder", "AgreementOrderField"]

_table = Agreement.__table__
_parties = AgreementParty.__table__
_signatories = AgreementSignatory.__table__


@strawberry.input
class AgreementFilter(RecordFilter):
    kind: list[AgreementKind] | None = None
    status: list[AgreementStatus] | None = None
    country: list[str] | None = strawberry.field(default=None, description="Signed in these countries")
    signed: DateWindow | None = strawberry.field(default=None, description="Signature date overlaps")
    party: relay.GlobalID | None = strawberry.field(default=None, description="This organization is a party")
    signatory: relay.GlobalID | None = strawberry.field(default=None, description="This person signed")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.AGREEMENT, dialect)
        for values, column in ((self.kind, _table.c.kind), (self.status, _table.c.status),
                               (self.country, _table.c.country_code)):
            if values:
                conditions.append(column.in_(values))
        conditions += overlaps(_table.c.signed_lower, _table.c.signed_upper, self.signed, "filter.signed")
        if (party := node_uuid(self.party, "Organization", "filter.party")) is not None:
            conditions.append(_table.c.id.in_(
                sa.select(_parties.c.agreement_id).where(_parties.c.organization_id == party)))
        if (person := node_uuid(self.signatory, "Person", "filter.signatory")) is not None:
            conditions.append(_table.c.id.in_(
                sa.select(_signatories.c.agreement_id).where(_signatories.c.person_id == person)))
        return conditions


@strawberry.enum
class AgreementOrderField(Enum):
    TITLE = "title"
    SIGNED = "signed"
    STATUS = "status"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class AgreementOrder:
    field: AgreementOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    AgreementOrderField.TITLE: _table.c.title,
    AgreementOrderField.SIGNED: undated_last(_table.c.signed_lower),
    AgreementOrderField.STATUS: _table.c.status,
    AgreementOrderField.CREATED_AT: _table.c.created_at,
    AgreementOrderField.UPDATED_AT: _table.c.updated_at,
}
