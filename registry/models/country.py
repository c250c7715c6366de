from sqlmodel import Field, SQLModel

__all__ = ["Country"]


class Country(SQLModel, table=True):
    """ISO 3166-1 alpha-2 country."""

    code: str = Field(primary_key=True, min_length=2, max_length=2, regex=r"^[A-Z]{2}$")
    name: str = Field(max_length=100)
