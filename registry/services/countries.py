from typing import Annotated

from pydantic import StringConstraints, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChangeAction, ChangeKind, Country
from .changes import Author, country_entity_id, latest_change, record_change
from .entities import SaveOutcome
from .errors import ServiceError
from .inputs import StrictModel

__all__ = ["CountryIn", "save_country"]


class CountryIn(StrictModel):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


async def save_country(session: AsyncSession, code: str, name: str, *, author: Author) -> SaveOutcome:
    """Create or rename an ISO 3166-1 country.

    A country is keyed by its code, not a uuid: in the change log it is kind `country` with the
    entity id `uuid5(namespace, code)` and `{"code", "name"}` as its snapshot, so that a rename
    moves the data version (ETags, cached GETs) and reaches the feed like any record's change.
    Its version is counted in the log (the table has no version column)."""
    try:
        data = CountryIn(code=code, name=name)
    except ValidationError as exc:
        raise ServiceError.from_validation(exc) from None
    entity_id = country_entity_id(data.code)
    country = await session.get(Country, data.code, with_for_update=True, populate_existing=True)
    latest = await latest_change(session, ChangeKind.COUNTRY, entity_id)
    if country is not None and country.name == data.name and latest is not None:
        return SaveOutcome.UNCHANGED
    version, previous = latest if latest is not None else (0, None)
    action = ChangeAction.CREATE if latest is None else ChangeAction.UPDATE
    record_change(session, ChangeKind.COUNTRY, entity_id, action, version + 1, author, data.model_dump(), previous)
    if country is None:
        session.add(Country(code=data.code, name=data.name))
        return SaveOutcome.CREATED
    country.name = data.name
    return SaveOutcome.UPDATED
