"""The selection under a node lookup, compiled into ONE SQL statement that returns it as JSON.

Without it, `node(id:)` on a project with its participants' organizations, citations' sources,
agreements and events runs nine statements one after another (the record, then one batch per
relationship and level: `prefetch`), builds an object per row and completes them field by field.
Here the client's selection under the record's type becomes one statement per looked-up type:
each relationship is a correlated subquery aggregating JSON (json_build_object/json_agg on
PostgreSQL, json_object/json_group_array on SQLite, `json_sql`), each object's keys are the
client's response keys in the client's order, so the database returns the response fragment and
the executor hands it on as it is (`PlainFieldExecutor.complete_object_value`).

What it compiles, on a type with a `MODEL` table (a `Record` and what hangs off it):
- plain fields (Strawberry's basic resolver: no resolver function, no arguments, no permission
  class, no extension; `compat.plain_attribute`) read from a column: strings, integers, dates,
  and enums (a CASE from the stored value to the GraphQL name);
- partial dates (`PARTIAL_DATES`) as objects of their value and bounds columns;
- relationships in `RELATED` (`prefetch.One`, `Many`, `Attached` of `build`-made objects) with
  the same rows the loaders read: live rows only (`deleted_at IS NULL`, not for attached rows,
  as the loaders), in primary-key order;
- Relay's default `Node.id` and `__typename`.
What SQL does not say as Python does is completed in Python from a small plan worked out with the
statement: global ids (base64 of `Type:uuid`; SQLite stores UUIDs as 32 hex digits), a partial
date's precision and approximate mark (`PartialDate.parse`), and a null in a non-null field whose
column or relationship can be null (a citation whose source was deleted).

A connection page (`page_statement`) is compiled the same way: its `edges { node { … } }` selection
becomes the statement, run for the ids of the page the keyset query found (`types.page_nodes`), so
cursors, pageInfo, totalCount, filters and ordering stay the keyset query's; the nodes under more
than one response key (two aliases of `edges` or of `node`) take the existing path, and so do
nodes without relationships, which the keyset rows answer alone.

Anything else (a resolver such as `history`, a field with arguments, permission classes or
extensions, a datetime or decimal column, an interface-typed field, @defer) makes the whole
lookup take the existing path (loaders, `prefetch`, the plain-field executor); so does a null
where the schema forbids one, so that graphql-core reports it with its usual path and message.
Statements are made once per parsed operation, type and database dialect, and shared by the
requests running it, as the executor's plans are (`execution.shared_plans`).
"""

import uuid
from datetime import date
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any

import orjson
import sqlalchemy as sa
from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    get_named_type,
    get_nullable_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from sqlalchemy.dialects import postgresql
from strawberry import Info
from strawberry.relay import to_base64

from ...db import DriverStatement
from ...partial_date import PartialDate
from .compat import (
    FieldDetails,
    FragmentDetails,
    VariableValues,
    collect_subfields,
    default_node_id,
    graphql_core_info,
    plain_attribute,
    strawberry_origin,
)
from .execution import Completed, shared_plans
from .json_sql import JSON_SQL, JsonSQL
from .prefetch import Attached, Many, One, related_specs

__all__ = ["Irregular", "NodeStatement", "node_statement", "page_statement", "shared_statement"]

Finish = Callable[[Any], Any]

_KEYS_CONDITION = "/* keys */"  # where a statement's condition on its keys goes (`NodeStatement`)


class _NotCompiled(Exception):
    """Something in the selection the compiler does not express: the lookup takes the existing path."""


class Irregular(Exception):
    """A value the response cannot hold as it is (a null in a non-null field): the lookup takes the
    existing path, which reports it as graphql-core does."""


class NodeStatement:
    """One statement reading records of one type by primary key, each as its response fragment.

    On PostgreSQL it runs on asyncpg's own connection (`DriverStatement`, compiled once with the
    statement and freed with it), which asyncpg prepares once per connection."""

    def __init__(self, sql: str, key_type: Any, dialect: sa.Dialect, finish: Finish | None):
        """`sql` selects `key` and `data`, with `_KEYS_CONDITION` where the condition on the keys goes."""
        def keyed(condition: str, keys: sa.BindParameter) -> sa.TextClause:
            return sa.text(sql.replace(_KEYS_CONDITION, condition)).bindparams(keys)

        on_asyncpg = dialect.driver == "asyncpg"  # PostgreSQL's
        self._single_driver = None
        if dialect.name == "postgresql":
            self.statement = keyed("= ANY(:keys)", sa.bindparam("keys", type_=postgresql.ARRAY(key_type)))
            if on_asyncpg:
                # One record (`node(id:)`, the lookup sent most) by `= :key`: PostgreSQL plans that
                # prepared statement once (a generic plan), where `= ANY(:keys)` is planned anew at
                # every execution (a custom plan for its array), which doubled the database's time
                # for a project's detail page (0.8 ms instead of 0.36: bench/README.md).
                single = keyed("= :key", sa.bindparam("key", type_=key_type))
                self._single_driver = DriverStatement(single, dialect)
        else:
            self.statement = keyed("IN :keys", sa.bindparam("keys", type_=key_type, expanding=True))
        self._driver = DriverStatement(self.statement, dialect) if on_asyncpg else None
        self._finish = finish

    async def load(self, reads: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, Completed]:
        """The live records among `keys`, read through `reads` (a context's `Reads`), finished;
        raises `Irregular` when one cannot be answered from its JSON alone."""
        if not keys:
            return {}
        if self._single_driver is not None and len(keys) == 1:
            rows = await reads.fetch_prepared(self._single_driver, {"key": keys[0]})
        elif self._driver is not None:
            rows = await reads.fetch_prepared(self._driver, {"keys": list(keys)})
        else:
            rows = await reads.fetch(self.statement, {"keys": list(keys)})
        found = {}
        for row in rows:
            data = orjson.loads(row["data"])
            found[_as_uuid(row["key"])] = Completed(self._finish(data) if self._finish else data)
        return found


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


_NOT_COMPILED = object()


def node_statement(info: Info, cls: type) -> NodeStatement | None:
    """The statement answering the selection of the field `info` resolves, for records of `cls`;
    None when the selection holds something the compiler leaves to the existing path."""
    return _shared_statement(info, cls, ())


def page_statement(info: Info, cls: type) -> NodeStatement | None:
    """The statement answering `edges { node { … } }` of the connection field `info` resolves, for
    the page's records of `cls`; None when the selection holds something the compiler leaves to
    the existing path, asks for the nodes under more than one response key (`a: edges`,
    `b: edges`, or two aliases of `node`: one fragment per record could not answer both), or for
    no relationship (then the keyset rows are all it takes)."""
    return _shared_statement(info, cls, ("edges", "node"))


def _shared_statement(info: Info, cls: type, path: tuple[str, ...]) -> NodeStatement | None:
    context = info.context
    if context.settings.executor != "compiled":
        return None
    return shared_statement(graphql_core_info(info), context.engine.dialect, cls, path)


def shared_statement(
    selection: Any, dialect: sa.Dialect, cls: type, path: tuple[str, ...] = ()
) -> NodeStatement | None:
    """The statement for the field `selection` resolves (graphql-core's resolve info, or anything
    with its `schema`, `operation`, `fragments`, `field_nodes`, `return_type` and `variable_values`),
    made once per parsed operation, type and dialect; None when it is not compiled."""
    key = ("compiled", dialect.name, cls, path, *(id(node) for node in selection.field_nodes))
    shared = shared_plans(selection.operation, selection.fragments)
    known = shared.get(key) if shared is not None else None
    if known is None:
        try:
            made: Any = _Compiler(selection, dialect).node_statement(cls, path)
        except _NotCompiled:
            made = _NOT_COMPILED
        known = (selection.field_nodes, made)  # keeps the nodes (and so their ids) alive with the statement
        if shared is not None:
            shared[key] = known
    return None if known[1] is _NOT_COMPILED else known[1]


class _Compiler:
    """Writes one statement; table aliases t0, t1… are numbered as the walk meets them."""

    def __init__(self, raw_info: Any, dialect: sa.Dialect):
        self.info = raw_info
        self.json: JsonSQL = JSON_SQL[dialect.name]
        self.dialect = dialect
        self.dialect_name = dialect.name
        self.quote = dialect.identifier_preparer.quote
        self.fragments = {name: FragmentDetails(node) for name, node in raw_info.fragments.items()}
        self.variables = VariableValues({}, raw_info.variable_values)  # Strawberry keeps the coerced dict
        self.aliases = 0
        self.relationships = 0

    def node_statement(self, cls: type, path: tuple[str, ...]) -> NodeStatement:
        object_type = self.info.schema.get_type(_graphql_name(cls))
        if not is_object_type(object_type) or strawberry_origin(object_type) is not cls:
            raise _NotCompiled
        table = cls.MODEL.__table__
        alias = self._alias()
        details = self._details_under(path)
        data, finish = self._object(cls, object_type, details, alias)
        if path and not self.relationships:
            raise _NotCompiled  # the page's keyset rows answer it alone: one statement, not two
        sql = (
            f"SELECT {alias}.id AS key, {self.json.as_text(data)} AS data "
            f"FROM {self._from(table, alias)} WHERE {alias}.id {_KEYS_CONDITION}{self._live(table, alias)}"
        )
        return NodeStatement(sql, table.c.id.type, self.dialect, finish)

    def _details_under(self, path: tuple[str, ...]) -> list[FieldDetails]:
        """The field details reached by following field names `path` from the resolved field (through
        fragments and aliases): one response key at each step, or the selection is not compiled."""
        details = [FieldDetails(node, None) for node in self.info.field_nodes]
        parent_type = get_named_type(self.info.return_type)
        for name in path:
            if not is_object_type(parent_type):
                raise _NotCompiled
            collected = collect_subfields(
                self.info.schema, self.fragments, self.variables, self.info.operation, parent_type, details
            )
            if collected.new_defer_usages:
                raise _NotCompiled
            found = [group for group in collected.grouped_field_set.values() if group[0].node.name.value == name]
            if len(found) != 1:
                raise _NotCompiled
            details = found[0]
            parent_type = get_named_type(parent_type.fields[name].type)
        return details

    # --- objects backed by a table row --------------------------------------------------------

    def _object(
        self, cls: type, object_type: GraphQLObjectType, details: Any, alias: str
    ) -> tuple[str, Finish | None]:
        """The JSON object of `cls`'s row `alias` under the selection `details`, and its finish."""
        fields, finishes = {}, []
        collected = collect_subfields(
            self.info.schema, self.fragments, self.variables, self.info.operation, object_type, details
        )
        if collected.new_defer_usages:
            raise _NotCompiled
        specs = related_specs(cls)
        columns = cls.MODEL.__table__.c
        partial_dates = getattr(cls, "PARTIAL_DATES", ())
        for key, field_details in collected.grouped_field_set.items():
            node = field_details[0].node
            name = node.name.value
            if name == "__typename":
                fields[key] = self.json.string(object_type.name)
                continue
            field_def = object_type.fields.get(name)
            if field_def is None or node.arguments:
                raise _NotCompiled
            if (node_id := default_node_id(object_type, field_def)) is not None:
                if node_id[0] is not cls or node_id[1] not in columns:
                    raise _NotCompiled
                fields[key] = f"{alias}.{self.quote(node_id[1])}"
                finishes.append((key, partial(_global_id, object_type.name)))
                continue
            attribute = plain_attribute(field_def)
            if attribute is None:
                raise _NotCompiled
            if attribute in specs:
                fields[key], finish = self._related(specs[attribute], field_def.type, field_details, alias, cls)
            elif attribute in partial_dates:
                fields[key], finish = self._partial_date(field_def.type, field_details, alias, attribute)
            elif attribute in columns:
                fields[key], finish = self._column(field_def.type, columns[attribute], f"{alias}.{self.quote(attribute)}")
            else:
                raise _NotCompiled
            if finish is not None:
                finishes.append((key, finish))
        return self.json.obj(**fields), _finish_object(finishes) if finishes else None

    def _related(
        self, spec: Any, type_: GraphQLOutputType, details: Any, parent: str, parent_cls: type
    ) -> tuple[str, Finish | None]:
        """A relationship as the loaders read it: `One` an object or null, `Many`/`Attached` a list."""
        self.relationships += 1
        if isinstance(spec, One):
            target = spec.target()
            table, alias = target.MODEL.__table__, self._alias()
            data, finish = self._object(target, self._object_type(get_nullable_type(type_), target), details, alias)
            primary = self.quote(table.primary_key.columns.values()[0].name)
            found = self.json.nested(
                f"SELECT {data} FROM {self._from(table, alias)} "
                f"WHERE {alias}.{primary} = {parent}.{self.quote(spec.key)}{self._live(table, alias)}"
            )
            return found, _non_null(finish) if is_non_null_type(type_) else finish
        alias = self._alias()
        if isinstance(spec, Many):
            target = spec.target()
            table = target.MODEL.__table__
            where = f"{alias}.{self.quote(spec.column)} = {parent}.id{self._live(table, alias)}"
        elif isinstance(spec, Attached) and spec.target is not None:
            target, table = spec.target, spec.table()  # no live filter: the loader has none either
            subject_type = self.json.string(parent_cls.ENTITY_TYPE.value)
            where = f"{alias}.subject_type = {subject_type} AND {alias}.subject_id = {parent}.id"
        else:
            raise _NotCompiled
        if not (is_non_null_type(type_) and is_list_type(type_.of_type)):
            raise _NotCompiled
        object_type = self._object_type(get_nullable_type(type_.of_type.of_type), target)
        data, finish = self._object(target, object_type, details, alias)
        order = ", ".join(f"{alias}.{self.quote(column.name)}" for column in table.primary_key.columns)
        array = self.json.object_array(data, f"{self._from(table, alias)} WHERE {where}", order)
        return array, _finish_list(finish) if finish else None

    def _object_type(self, type_: Any, cls: type) -> GraphQLObjectType:
        if not is_object_type(type_) or strawberry_origin(type_) is not cls:
            raise _NotCompiled  # an interface, or a type the relationship's objects are not built as
        return type_

    # --- values ------------------------------------------------------------------------------

    def _column(self, type_: GraphQLOutputType, column: sa.Column, expression: str) -> tuple[str, Finish | None]:
        leaf = get_nullable_type(type_)
        sql_type = column.type
        if isinstance(leaf, GraphQLEnumType) and isinstance(sql_type, sa.Enum):
            names = {
                value: leaf.serialize(sql_type.enum_class(value)) for value in sql_type.enums
            }
            cases = " ".join(f"WHEN {self.json.string(v)} THEN {self.json.string(n)}" for v, n in names.items())
            expression = f"CASE {expression} {cases} END"
        elif not (isinstance(leaf, GraphQLScalarType) and _SCALARS.get(leaf.name) is _python_type(sql_type)):
            raise _NotCompiled
        may_be_null = column.nullable or isinstance(sql_type, sa.Enum)  # an unknown stored value is null
        return expression, _non_null(None) if is_non_null_type(type_) and may_be_null else None

    def _partial_date(
        self, type_: GraphQLOutputType, details: Any, alias: str, name: str
    ) -> tuple[str, Finish | None]:
        """A partial date from its column `name` (the text) and `<name>_lower`/`<name>_upper`."""
        object_type = get_nullable_type(type_)
        column = f"{alias}.{self.quote(name)}"
        collected = collect_subfields(
            self.info.schema, self.fragments, self.variables, self.info.operation, object_type, details
        )
        fields, finishes = {}, []
        for key, field_details in collected.grouped_field_set.items():
            field = field_details[0].node.name.value
            if field == "__typename":
                fields[key] = self.json.string(object_type.name)
            elif field == "value" and self._plain(object_type, field, field_details):
                fields[key] = column
            elif field in ("lower", "upper") and self._plain(object_type, field, field_details):
                fields[key] = f"{alias}.{self.quote(f'{name}_{field}')}"  # the bounds are named after it
            elif field in ("precision", "approximate") and self._plain(object_type, field, field_details):
                fields[key] = column  # the text, parsed in Python: PartialDate says what it means
                finishes.append(
                    (key, _precision(object_type.fields[field].type) if field == "precision" else _approximate)
                )
            else:
                raise _NotCompiled
        data = f"CASE WHEN {column} IS NULL THEN NULL ELSE {self.json.obj(**fields)} END"
        finish = _finish_object(finishes) if finishes else None
        return data, _non_null(finish) if is_non_null_type(type_) else finish

    def _plain(self, object_type: GraphQLObjectType, name: str, details: Any) -> bool:
        return not details[0].node.arguments and plain_attribute(object_type.fields[name]) is not None

    # --- SQL pieces --------------------------------------------------------------------------

    def _alias(self) -> str:
        alias = f"t{self.aliases}"
        self.aliases += 1
        return alias

    def _from(self, table: sa.Table, alias: str) -> str:
        return f"{self.quote(table.name)} {alias}"

    def _live(self, table: sa.Table, alias: str) -> str:
        return f" AND {alias}.deleted_at IS NULL" if "deleted_at" in table.c else ""


# GraphQL scalar → the Python type of the columns whose JSON is what the scalar serialises to
# (dates as YYYY-MM-DD on both engines; not datetimes, decimals, UUIDs, booleans: SQLite's differ)
_SCALARS = {"String": str, "ID": str, "Int": int, "Date": date}


def _python_type(sql_type: sa.types.TypeEngine) -> type | None:
    if isinstance(sql_type, sa.types.TypeDecorator):  # SQLModel's AutoString: a String underneath
        sql_type = sql_type.impl_instance
    try:
        return sql_type.python_type
    except NotImplementedError:
        return None


def _graphql_name(cls: type) -> str:
    return cls.__strawberry_definition__.name


# --- finishing in Python ---------------------------------------------------------------------------


def _global_id(type_name: str, value: str) -> str:
    return to_base64(type_name, str(uuid.UUID(value)))


def _non_null(inner: Finish | None) -> Finish:
    def finish(value: Any) -> Any:
        if value is None:
            raise Irregular
        return inner(value) if inner is not None else value

    return finish


def _finish_object(finishes: list[tuple[str, Finish]]) -> Finish:
    def finish(data: dict | None) -> dict | None:
        if data is not None:
            for key, finish_value in finishes:
                data[key] = finish_value(data[key])
        return data

    return finish


def _finish_list(item: Finish) -> Finish:
    def finish(items: list) -> list:
        return [item(value) for value in items]

    return finish


def _precision(type_: GraphQLOutputType) -> Finish:
    enum = get_nullable_type(type_)
    names = {}

    def finish(text: str) -> str:
        precision = _parsed(text).precision
        name = names.get(precision)
        if name is None:
            name = names[precision] = enum.serialize(precision)
        return name

    return finish


def _approximate(text: str) -> bool:
    return _parsed(text).approximate


_parsed = lru_cache(maxsize=4096)(PartialDate.parse)  # as `types.build`: responses repeat the same dates
