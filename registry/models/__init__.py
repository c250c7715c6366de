"""The registry's tables. Importing this package registers every table on SQLModel.metadata."""

from sqlmodel import SQLModel

from .admin_user import AdminUser
from .agreement import Agreement, AgreementParty, AgreementSignatory
from .api_key import ApiKey, ApiKeyScope
from .change import ChangeAction, ChangeKind, ChangeLog
from .citation import Citation
from .country import Country
from .event import Event, EventParticipant
from .figure import Figure
from .idempotency import IdempotencyKey, IdempotencyState
from .naming import Alias, ExternalIdentifier, Tag
from .organization import Organization
from .person import Person, Position
from .project import Project, ProjectAgreement, ProjectEvent, ProjectParticipant
from .search import SearchEntry, SearchField, SearchTerm
from .source import Source

metadata = SQLModel.metadata

__all__ = [
    "AdminUser",
    "Agreement",
    "AgreementParty",
    "AgreementSignatory",
    "Alias",
    "ApiKey",
    "ApiKeyScope",
    "ChangeAction",
    "ChangeKind",
    "ChangeLog",
    "Citation",
    "Country",
    "Event",
    "EventParticipant",
    "ExternalIdentifier",
    "Figure",
    "IdempotencyKey",
    "IdempotencyState",
    "Organization",
    "Person",
    "Position",
    "Project",
    "ProjectAgreement",
    "ProjectEvent",
    "ProjectParticipant",
    "SearchEntry",
    "SearchField",
    "SearchTerm",
    "Source",
    "Tag",
    "metadata",
]
