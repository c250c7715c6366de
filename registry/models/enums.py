"""Closed vocabularies of the registry.

Each enum is stored as its lower-case value in a VARCHAR column guarded by a CHECK
constraint (see `enum_column` in base.py), so adding a value is a new migration,
never a silent free-text drift. GraphQL exposes the same enums by name.
"""

from enum import StrEnum

__all__ = [
    "AliasKind",
    "AgreementKind",
    "AgreementStatus",
    "AgreementPartyRole",
    "EntityType",
    "EventKind",
    "EventParticipantRole",
    "FigureMetric",
    "FigureQualifier",
    "FigureUnit",
    "OrganizationKind",
    "ProjectEventRelation",
    "ProjectKind",
    "ProjectParticipantRole",
    "ProjectStatus",
    "Sector",
]


class EntityType(StrEnum):
    """Things that carry aliases, identifiers, tags and citations."""

    SOURCE = "source"
    ORGANIZATION = "organization"
    PERSON = "person"
    PROJECT = "project"
    AGREEMENT = "agreement"
    EVENT = "event"
    FIGURE = "figure"
    # relationship rows: citations attach to them too
    POSITION = "position"
    PROJECT_PARTICIPANT = "project_participant"
    PROJECT_AGREEMENT = "project_agreement"
    PROJECT_EVENT = "project_event"
    AGREEMENT_PARTY = "agreement_party"
    AGREEMENT_SIGNATORY = "agreement_signatory"
    EVENT_PARTICIPANT = "event_participant"


class AliasKind(StrEnum):
    OFFICIAL = "official"
    SHORT = "short"
    FORMER = "former"
    ABBREVIATION = "abbreviation"
    SPELLING_VARIANT = "spelling_variant"
    TRANSLATION = "translation"


class OrganizationKind(StrEnum):
    STATE = "state"  # a country's government as a party to treaties
    STATE_BODY = "state_body"
    MINISTRY = "ministry"
    EMBASSY = "embassy"
    COMPANY = "company"
    STATE_OWNED_ENTERPRISE = "state_owned_enterprise"
    BANK = "bank"
    TRADING_HOUSE = "trading_house"
    SERVICE_CENTER = "service_center"
    JOINT_VENTURE = "joint_venture"
    INTERNATIONAL_ORGANIZATION = "international_organization"
    INTERGOVERNMENTAL_COMMISSION = "intergovernmental_commission"
    ASSOCIATION = "association"
    EDUCATION_RESEARCH = "education_research"
    MEDIA = "media"
    CULTURAL = "cultural"
    OTHER = "other"


class Sector(StrEnum):
    AGRICULTURE = "agriculture"
    MACHINERY = "machinery"
    ENERGY = "energy"
    FINANCE = "finance"
    TRANSPORT = "transport"
    TRADE = "trade"
    INDUSTRY = "industry"
    DEFENCE = "defence"
    SCIENCE_EDUCATION = "science_education"
    CULTURE = "culture"
    DIPLOMACY = "diplomacy"
    HUMANITARIAN = "humanitarian"
    OTHER = "other"


class ProjectKind(StrEnum):
    TRADING_HOUSE = "trading_house"
    SERVICE_CENTER = "service_center"
    ASSEMBLY_PLANT = "assembly_plant"
    JOINT_VENTURE = "joint_venture"
    BANK = "bank"
    FINANCING = "financing"
    SUPPLY = "supply"
    TRANSIT = "transit"
    REFINING = "refining"
    INFRASTRUCTURE = "infrastructure"
    RESEARCH = "research"
    EDUCATION = "education"
    CULTURAL = "cultural"
    MILITARY_TECHNICAL = "military_technical"
    INTEGRATION = "integration"
    PROGRAM = "program"
    OTHER = "other"


class ProjectStatus(StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    STALLED = "stalled"
    CANCELLED = "cancelled"


class ProjectParticipantRole(StrEnum):
    FOUNDER = "founder"
    OPERATOR = "operator"
    FUNDER = "funder"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    PARTNER = "partner"
    HOST = "host"
    COORDINATOR = "coordinator"
    BENEFICIARY = "beneficiary"


class ProjectEventRelation(StrEnum):
    LAUNCHED = "launched"
    DISCUSSED = "discussed"
    MILESTONE = "milestone"
    PRESENTED = "presented"


class AgreementKind(StrEnum):
    TREATY = "treaty"
    AGREEMENT = "agreement"
    PROGRAM = "program"
    PROTOCOL = "protocol"
    MEMORANDUM = "memorandum"
    CONVENTION = "convention"
    JOINT_STATEMENT = "joint_statement"
    COMMUNIQUE = "communique"
    CONTRACT = "contract"
    ACTION_PLAN = "action_plan"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    INITIALED = "initialed"
    SIGNED = "signed"
    RATIFIED = "ratified"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class AgreementPartyRole(StrEnum):
    PARTY = "party"
    GUARANTOR = "guarantor"
    DEPOSITARY = "depositary"
    OBSERVER = "observer"


class EventKind(StrEnum):
    OFFICIAL_VISIT = "official_visit"
    WORKING_VISIT = "working_visit"
    STATE_VISIT = "state_visit"
    SUMMIT = "summit"
    MEETING = "meeting"
    NEGOTIATIONS = "negotiations"
    EXHIBITION = "exhibition"
    CONFERENCE = "conference"
    COMMISSION_SESSION = "commission_session"
    CULTURAL_DAYS = "cultural_days"
    OPENING = "opening"
    ESTABLISHMENT = "establishment"
    ANNIVERSARY = "anniversary"
    COMMEMORATION = "commemoration"
    PUBLICATION = "publication"
    MILITARY_EXERCISE = "military_exercise"
    OTHER = "other"


class EventParticipantRole(StrEnum):
    HOST = "host"
    GUEST = "guest"
    HEAD_OF_DELEGATION = "head_of_delegation"
    DELEGATION_MEMBER = "delegation_member"
    ORGANIZER = "organizer"
    PARTICIPANT = "participant"
    EXHIBITOR = "exhibitor"
    SPEAKER = "speaker"


class FigureMetric(StrEnum):
    BILATERAL_TRADE = "bilateral_trade"
    EXPORTS = "exports"
    IMPORTS = "imports"
    TRADE_GROWTH = "trade_growth"
    EXPORT_GROWTH = "export_growth"
    TRADE_SHARE = "trade_share"
    TRADE_DEFICIT = "trade_deficit"
    TRADE_DECLINE = "trade_decline"  # the size of a fall, stated as a positive amount or share
    OIL_TRANSIT = "oil_transit"
    OIL_REFINED_TOLLING = "oil_refined_tolling"
    OIL_SUPPLY = "oil_supply"
    GRAIN_SUPPLY = "grain_supply"
    GRAIN_SHORTAGE = "grain_shortage"
    MACHINERY_SUPPLY = "machinery_supply"
    DIASPORA_SIZE = "diaspora_size"
    MIGRATION = "migration"
    AGREEMENTS_COUNT = "agreements_count"
    VISITS_COUNT = "visits_count"
    PROJECTS_COUNT = "projects_count"
    FINANCING = "financing"
    INVESTMENT = "investment"
    CAPITAL_SHARE = "capital_share"
    ORGANIZATIONS_COUNT = "organizations_count"
    COMPANIES_COUNT = "companies_count"
    STUDENTS_COUNT = "students_count"
    EVENTS_COUNT = "events_count"
    PEOPLE_COUNT = "people_count"
    DISTANCE = "distance"
    DURATION = "duration"
    OTHER = "other"


class FigureUnit(StrEnum):
    # money: ISO 4217
    USD = "USD"
    EUR = "EUR"
    RUB = "RUB"
    KZT = "KZT"
    BYR = "BYR"
    # quantities
    TONNE = "tonne"
    PIECE = "piece"
    PERSON = "person"
    PERCENT = "percent"
    KILOMETRE = "km"
    DAY = "day"
    COUNT = "count"
    RANK = "rank"


class FigureQualifier(StrEnum):
    EXACT = "exact"
    ABOUT = "about"
    MORE_THAN = "more_than"
    AT_LEAST = "at_least"
    UP_TO = "up_to"
    LESS_THAN = "less_than"
    RANGE = "range"
