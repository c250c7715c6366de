"""A record's own row, read and written with fixed statements rather than the ORM's unit of work.

Why: the services decide every value a record's row gets (`drafts`), so the ORM's identity map,
change tracking and flush added nothing but their cost, and that was most of a single write's
CPU. In-process, per partner upsert (bench/README.md): loading the record it locks ~0.45 ms,
inserting a new one through the ORM's INSERT … RETURNING ~0.8 ms, where a fixed statement on the
driver (`registry.db.execute_fixed`) takes ~0.15 ms; the services' share of an upsert went from
3.1 to 1.9 ms of CPU. A new record's row also goes in the statement that writes its owned rows
(`drafts.store`): one round trip fewer.

Records come back as instances of their model attached to no session (`record_from_row`),
filled as the ORM's loader fills them: the write path reads their columns, and callers (admin,
GraphQL answers, `registry.graphql.core.mutations.load_records`) read them as written. Nothing
tracks them: a change is written by `update_record`, which keeps the instance in step.
"""

import functools
from collections.abc import Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper
from sqlmodel import SQLModel

from ..db import execute_fixed

__all__ = ["json_value", "locking_select", "read_locked", "record_columns", "record_from_row", "update_record"]


def record_from_row(model: type[SQLModel], values: Mapping[str, Any]) -> Any:
    """An instance of `model` holding `values` (its columns by name), in no session."""
    instance = class_mapper(model).class_manager.new_instance()
    instance.__dict__.update(values)  # as the ORM's loader fills a loaded instance
    return instance


def record_columns(record: Any) -> dict[str, Any]:
    """The record's columns by name, as it holds them."""
    return {name: getattr(record, name) for name in _columns(type(record))[0]}


def _loaded_values(model: type[SQLModel], row: Any) -> dict[str, Any]:
    """The model's columns from the start of `row` (SQLAlchemy's or asyncpg's own record) as the ORM
    would load them: asyncpg's records (`execute_fixed` in a transaction) hold enum columns as their
    stored string."""
    names, enums = _columns(model)
    values = dict(zip(names, row, strict=False))  # a row may hold more columns after the model's
    for name, enum in enums:
        value = values[name]
        if type(value) is str:
            values[name] = enum(value)
    return values


@functools.cache
def _columns(model: type[SQLModel]) -> tuple[tuple[str, ...], tuple[tuple[str, type], ...]]:
    table = model.__table__
    enums = tuple((column.name, column.type.enum_class) for column in table.columns
                  if isinstance(column.type, sa.Enum) and column.type.enum_class is not None)
    return tuple(table.columns.keys()), enums


async def read_locked(
    session: AsyncSession, model: type[SQLModel], statement: sa.Select, parameters: Mapping[str, Any],
) -> tuple[Any, Any] | None:
    """(the record, the value of the column after its own) from `statement`, a `locking_select`
    built once per process, or None when it finds none."""
    rows = await session.run_sync(execute_fixed, statement, parameters)
    if not rows:
        return None
    row, width = rows[0], len(_columns(model)[0])
    return record_from_row(model, _loaded_values(model, row)), row[width] if len(row) > width else None


def locking_select(model: type[SQLModel], *extra: sa.ColumnElement) -> sa.Select:
    """SELECT the record's columns (and `extra` ones) FOR UPDATE OF its table: read fresh and
    locked until the transaction ends (PostgreSQL; SQLite has one writer at a time), so that a
    concurrent writer waits, then reads this one's version."""
    table = model.__table__
    return sa.select(*table.columns, *extra).with_for_update(of=table)


def json_value(value: Any) -> Any:
    """A JSON column as `read_locked` returns it: asyncpg's own records hold its text."""
    return orjson.loads(value) if isinstance(value, str) else value


async def update_record(session: AsyncSession, record: Any, values: dict[str, Any]) -> None:
    """Set the record's columns named in `values`, in the database and on `record`."""
    table = type(record).__table__
    parameters = {f"set_{name}": value for name, value in values.items()}
    parameters["record_id"] = record.id
    await session.run_sync(execute_fixed, _update_statement(table, tuple(values)), parameters)
    record.__dict__.update(values)


# Bounded: one shape per table and set of columns (a record kind's input fields and the version's)
@functools.lru_cache(maxsize=128)
def _update_statement(table: sa.Table, names: tuple[str, ...]) -> sa.Update:
    return (sa.update(table).where(table.c.id == sa.bindparam("record_id"))
            .values({name: sa.bindparam(f"set_{name}") for name in names}))
