"""The model's vocabularies as GraphQL enums (one registration each, shared by every domain)."""

from enum import Enum

import strawberry

from ...models import enums
from ...partial_date import DatePrecision as _DatePrecision

__all__ = [
    "AgreementKind", "AgreementPartyRole", "AgreementStatus", "AliasKind", "DatePrecision", "EventKind",
    "EventParticipantRole", "FigureMetric", "FigureQualifier", "FigureUnit", "OrderDirection",
    "OrganizationKind", "ProjectEventRelation", "ProjectKind", "ProjectParticipantRole", "ProjectStatus",
    "Sector",
]

AgreementKind = strawberry.enum(enums.AgreementKind)
AgreementPartyRole = strawberry.enum(enums.AgreementPartyRole)
AgreementStatus = strawberry.enum(enums.AgreementStatus)
AliasKind = strawberry.enum(enums.AliasKind)
EventKind = strawberry.enum(enums.EventKind)
EventParticipantRole = strawberry.enum(enums.EventParticipantRole)
FigureMetric = strawberry.enum(enums.FigureMetric)
FigureQualifier = strawberry.enum(enums.FigureQualifier)
FigureUnit = strawberry.enum(enums.FigureUnit, description="ISO 4217 currency for money, else a unit")
OrganizationKind = strawberry.enum(enums.OrganizationKind)
ProjectEventRelation = strawberry.enum(enums.ProjectEventRelation)
ProjectKind = strawberry.enum(enums.ProjectKind)
ProjectParticipantRole = strawberry.enum(enums.ProjectParticipantRole)
ProjectStatus = strawberry.enum(enums.ProjectStatus)
Sector = strawberry.enum(enums.Sector)
DatePrecision = strawberry.enum(_DatePrecision)


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"
