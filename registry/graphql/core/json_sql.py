"""SQL that builds JSON, spelled for PostgreSQL and for SQLite.

Shared by the compiler (`compiler.py`), which turns a GraphQL selection into one statement whose
value is the response fragment, and by the benchmark's floor (`bench/floor_sql.py`), which writes
such statements by hand. Each builder takes and returns SQL text.
"""

__all__ = ["JSON_SQL", "JsonSQL", "SQLiteJsonSQL"]


class JsonSQL:
    """PostgreSQL spelling; SQLite overrides what differs."""

    def obj(self, **fields: str) -> str:
        """A JSON object of `fields` (key → SQL expression), keys in the order given."""
        return "json_build_object(" + ", ".join(f"'{key}', {value}" for key, value in fields.items()) + ")"

    def object_array(self, item: str, source: str, order: str) -> str:
        """A JSON array of `item` (an object) per row of `source`, in `order`; [] when there are none."""
        return f"(SELECT COALESCE(json_agg({item} ORDER BY {order}), '[]'::json) FROM {source})"

    def value_array(self, item: str, source: str, order: str) -> str:
        """A JSON array of `item` (a scalar: text, number) per row of `source`, in `order`."""
        return self.object_array(item, source, order)

    def nested(self, subquery: str) -> str:
        """A subquery whose value is JSON (an object), embedded in an outer object."""
        return f"({subquery})"

    def string(self, text: str) -> str:
        """A string literal."""
        return "'" + text.replace("'", "''") + "'"

    def as_text(self, expression: str) -> str:
        """The JSON as text (what the driver hands back undecoded)."""
        return f"({expression})::text"


class SQLiteJsonSQL(JsonSQL):
    def obj(self, **fields: str) -> str:
        return "json_object(" + ", ".join(f"'{key}', {value}" for key, value in fields.items()) + ")"

    def object_array(self, item: str, source: str, order: str) -> str:
        # SQLite 3.40 has no ORDER BY inside aggregates: aggregate an ordered subquery instead.
        # A value leaving a sorted subquery loses its JSON subtype, hence json() around it.
        ordered = f"SELECT {item} AS item FROM {source} ORDER BY {order}"
        return f"json((SELECT json_group_array(json(item)) FROM ({ordered})))"

    def value_array(self, item: str, source: str, order: str) -> str:
        ordered = f"SELECT {item} AS item FROM {source} ORDER BY {order}"
        return f"json((SELECT json_group_array(item) FROM ({ordered})))"

    def nested(self, subquery: str) -> str:
        return f"json(({subquery}))"

    def as_text(self, expression: str) -> str:
        return expression


JSON_SQL: dict[str, JsonSQL] = {"postgresql": JsonSQL(), "sqlite": SQLiteJsonSQL()}
"""By SQLAlchemy dialect name."""
