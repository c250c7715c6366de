"""The write path. GraphQL, admin, CLI, import and seed all write through these functions."""

from .agreements import AGREEMENT, AgreementIn
from .changes import Author, UnloggedWriteError
from .countries import CountryIn, save_country
from .entities import (
    EntitySpec,
    SaveOutcome,
    SaveResult,
    create,
    delete,
    import_record,
    restore,
    save,
    update,
    upsert_by_identifier,
)
from .errors import ErrorCode, FieldError, ServiceError, VersionConflict
from .events import EVENT, EventIn
from .feed import ChangeEntry, ChangePage, changes_after, history
from .figures import FIGURE, FigureIn
from .organizations import ORGANIZATION, OrganizationIn
from .people import PERSON, PersonIn
from .projects import PROJECT, ProjectIn
from .sources import SOURCE, SourceIn

# Every kind of record the services write, in an order where a record refers only to kinds before it.
RECORD_SPECS = (SOURCE, ORGANIZATION, PERSON, EVENT, AGREEMENT, PROJECT, FIGURE)

__all__ = [
    "AGREEMENT",
    "EVENT",
    "FIGURE",
    "ORGANIZATION",
    "PERSON",
    "PROJECT",
    "RECORD_SPECS",
    "SOURCE",
    "AgreementIn",
    "Author",
    "ChangeEntry",
    "ChangePage",
    "CountryIn",
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
    "UnloggedWriteError",
    "VersionConflict",
    "changes_after",
    "create",
    "delete",
    "history",
    "import_record",
    "restore",
    "save",
    "save_country",
    "update",
    "upsert_by_identifier",
]
