from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from .base import EntityMixin, entity_table_args, partial_date_bound, partial_date_text

__all__ = ["Source"]


class Source(EntityMixin, table=True):
    """A document the registry's statements come from."""

    __table_args__ = entity_table_args()

    file: str = Field(max_length=200, unique=True, description="file name in the sources folder")
    title: str = Field(max_length=500)
    author: str | None = Field(default=None, max_length=200)
    publication: str | None = Field(default=None, max_length=500)
    published: str | None = partial_date_text()
    published_lower: date | None = partial_date_bound()
    published_upper: date | None = partial_date_bound()
    url: str | None = Field(default=None, max_length=500)
    description: str | None = None


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_source_title_order", Source.title, Source.id)
