"""Records made through the service layer, for tests that need data of a known shape."""

from sqlalchemy.ext.asyncio import AsyncSession

from registry import services
from registry.services import SaveResult
from registry.services.inputs import CitationIn

ACTOR = "test"
AUTHOR = services.Author(ACTOR)
SOURCE_SLUG = "test-source"


def cite(excerpt: str = "a test statement") -> list[CitationIn]:
    return [CitationIn(source=SOURCE_SLUG, excerpt=excerpt, locator="para. 1")]


async def source(session: AsyncSession) -> SaveResult:
    data = services.SourceIn(file="test.txt", title="Test source", published="2004")
    return await services.save(session, services.SOURCE, SOURCE_SLUG, data, author=AUTHOR)


async def countries(session: AsyncSession) -> None:
    for code, name in (("KZ", "Kazakhstan"), ("BY", "Belarus")):
        await services.save_country(session, code, name, author=AUTHOR)


async def organization(session: AsyncSession, slug: str, name: str, **fields) -> SaveResult:
    data = services.OrganizationIn(name=name, kind=fields.pop("kind", "company"), citations=cite(), **fields)
    return await services.save(session, services.ORGANIZATION, slug, data, author=AUTHOR)


async def project(session: AsyncSession, slug: str, title: str, participants=(), **fields) -> SaveResult:
    data = services.ProjectIn(
        title=title,
        kind=fields.pop("kind", "trading_house"),
        sector=fields.pop("sector", "machinery"),
        status=fields.pop("status", "implemented"),
        participants=[{"organization": org, "role": role, "citations": cite()} for org, role in participants],
        citations=cite(),
        **fields,
    )
    return await services.save(session, services.PROJECT, slug, data, author=AUTHOR)


async def many_projects(session: AsyncSession, count: int) -> None:
    """`count` projects, each with two participants, over a few organizations."""
    await source(session)
    await countries(session)
    for i in range(5):
        await organization(session, f"org-{i}", f"Organization {i}", country="BY")
    for i in range(count):
        await project(session, f"project-{i:04d}", f"Project {i:04d}", actual=f"{1995 + i % 20}",
                      participants=[(f"org-{i % 5}", "operator"), (f"org-{(i + 1) % 5}", "partner")])
