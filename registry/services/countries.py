from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Country
from .entities import SaveOutcome
from .errors import ErrorCode, ServiceError

__all__ = ["save_country"]


async def save_country(session: AsyncSession, code: str, name: str) -> SaveOutcome:
    """Create or rename an ISO 3166-1 country."""
    if len(code) != 2 or not code.isascii() or not code.isupper():
        raise ServiceError.single("code", ErrorCode.INVALID, f"{code!r} is not an ISO 3166-1 alpha-2 code")
    if not name.strip():
        raise ServiceError.single("name", ErrorCode.REQUIRED, "a country needs a name")
    country = await session.get(Country, code)
    if country is None:
        session.add(Country(code=code, name=name.strip()))
        return SaveOutcome.CREATED
    if country.name != name.strip():
        country.name = name.strip()
        return SaveOutcome.UPDATED
    return SaveOutcome.UNCHANGED
