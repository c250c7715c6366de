"""The write path. GraphQL, admin, CLI and seed all write through these functions."""

from .agreements import AGREEMENT, AgreementIn
from .countries import save_country
from .entities import EntitySpec, SaveOutcome, SaveResult, save
from .errors import ErrorCode, FieldError, ServiceError
from .events import EVENT, EventIn
from .figures import FIGURE, FigureIn
from .organizations import ORGANIZATION, OrganizationIn
from .people import PERSON, PersonIn
from .projects import PROJECT, ProjectIn
from .sources import SOURCE, SourceIn

__all__ = [
    "AGREEMENT",
    "EVENT",
    "FIGURE",
    "ORGANIZATION",
    "PERSON",
    "PROJECT",
    "SOURCE",
    "AgreementIn",
    "EntitySpec",
    "ErrorCode",
    "EventIn",
    "FieldError",
    "FigureIn",
    "OrganizationIn",
    "PersonIn",
    "ProjectIn",
    "SaveOutcome",
    "SaveResult",
    "ServiceError",
    "SourceIn",
    "save",
    "save_country",
]
