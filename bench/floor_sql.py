"""The floor's SQL: each measured query as ONE statement whose only value is the whole response body.

The database builds the JSON (json_build_object/json_agg on PostgreSQL, json_object/
json_group_array on SQLite), including Relay global ids (base64 of "Project:<uuid>") and the
keyset cursor, in the same field order as the GraphQL response. Each builder below is written
once against a small dialect layer; the statements mirror the server's semantics (live rows
only, the same ordering and tie-breakers, the same search scoring).
"""

import re
from datetime import date
from functools import lru_cache

from registry.graphql.core.json_sql import JsonSQL, SQLiteJsonSQL
from registry.graphql.core.text_search import QueryWord
from registry.graphql.search.resolvers import RANKING_READ, SORTED_MATCHES
from registry.models.search import RANKED_PREFIX

__all__ = ["DIALECTS", "Dialect", "project_detail", "project_page", "search", "timeline"]


class Dialect(JsonSQL):
    """PostgreSQL spelling (the JSON builders are the compiler's, `registry.graphql.core.json_sql`);
    SQLite overrides what differs."""

    binary_collation = 'COLLATE "C"'

    def boolean(self, condition: str) -> str:
        return f"({condition})"

    def global_id(self, type_name: str, id_column: str) -> str:
        # at most 12 + 1 + 36 bytes: under the 57 that make one base64 line (no newline inserted)
        return f"encode(convert_to('{type_name}:' || {id_column}::text, 'UTF8'), 'base64')"

    def cursor(self, title: str, id_column: str) -> str:
        """The server's keyset cursor: urlsafe base64 of the JSON list [title, id hex]."""
        # written out rather than json_build_array, whose text puts a space after the comma
        as_json = f"'[' || to_json({title})::text || ',\"' || replace({id_column}::text, '-', '') || '\"]'"
        return f"translate(encode(convert_to({as_json}, 'UTF8'), 'base64'), E'+/\\n', '-_')"

    def uuid_value(self, value):
        return value

    def date_value(self, value: date):
        return value

    def matching(self, words: list[QueryWord], field: str) -> tuple[list[str], dict]:
        """WHERE terms (on search_entry e) selecting this field's entries every query word matches:
        LIKE, served by the pg_trgm indexes (the field's own for its stems, as on the server)."""
        return _like_terms(words, field, f"CASE WHEN e.field = '{field}' THEN e.terms END"), {}



class SQLite(SQLiteJsonSQL, Dialect):
    binary_collation = "COLLATE BINARY"

    def boolean(self, condition: str) -> str:
        return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"

    def global_id(self, type_name: str, id_column: str) -> str:
        return f"global_id('{type_name}', {id_column})"  # a function the floor registers on each connection

    def cursor(self, title: str, id_column: str) -> str:
        return f"page_cursor({title}, {id_column})"  # likewise

    def uuid_value(self, value):
        return value.hex  # SQLAlchemy stores UUIDs on SQLite as 32 hex digits

    def date_value(self, value: date):
        return value.isoformat()

    def matching(self, words: list[QueryWord], field: str) -> tuple[list[str], dict]:
        # As the server does: the FTS5 trigram table for words of 3+ letters, LIKE for shorter ones.
        long_words = [w for w in words if len(w.word.folded) >= 3]
        terms, params = _like_terms([w for w in words if len(w.word.folded) < 3], field, "e.terms"), {}
        if long_words:
            terms.append("e.id IN (SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH :fts)")
            params["fts"] = " AND ".join(
                "(" + " OR ".join([f'folded : "{w.word.folded}"'] + [f'terms : " {s} "' for s in w.stems]) + ")"
                for w in long_words)
        return terms, params



DIALECTS = {"postgresql": Dialect(), "sqlite": SQLite()}


def _quoted(pattern: str) -> str:
    """A LIKE pattern written into the statement, as the server inlines its patterns (for the planner)."""
    assert re.fullmatch(r"[a-z0-9 %]*", pattern), pattern  # folded words only: nothing to escape
    return f"'{pattern}'"


def _like_terms(words: list[QueryWord], field: str, terms: str) -> list[str]:
    """This field's entries, and per word: its folded form inside a name, or its stem or a
    correction a whole word of `terms` (the stems' column, or the field's own expression)."""
    folded = ["e.folded"] if field in ("name", "alias") else []  # empty for descriptions and excerpts
    return [f"e.field = '{field}'"] + [
        "(" + " OR ".join([f"{column} LIKE {_quoted(f'%{w.word.folded}%')}" for column in folded]
                          + [f"{terms} LIKE {_quoted(f'% {stem} %')}" for stem in w.stems]) + ")"
        for w in words]


def _optional(column: str, expression: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {expression} END"


def _precision(value: str) -> str:
    """registry.partial_date's precision, from the stored text: an interval, or the length of the date."""
    length = f"length(rtrim({value}, '~'))"  # without the approximate mark
    return (f"CASE WHEN {value} LIKE '%/%' THEN 'RANGE' WHEN {length} = 10 THEN 'DAY' "
            f"WHEN {length} = 7 THEN 'MONTH' ELSE 'YEAR' END")


def _partial_date(d: Dialect, column: str, whole: bool = True) -> str:
    if not whole:
        return _optional(column, d.obj(value=column))
    bounds = {"lower": f"{column}_lower", "upper": f"{column}_upper"}
    return _optional(column, d.obj(value=column, precision=_precision(column), **bounds))


def _project_fields(d: Dialect, p: str) -> dict[str, str]:
    """Q1's project selection (Q2 adds to it), for the project row aliased `p`."""
    country = _optional("c.code", d.obj(code="c.code", name="c.name"))
    organization = _optional("o.id", d.obj(name="o.name", country=country))
    return {
        "id": d.global_id("Project", f"{p}.id"),
        "title": f"{p}.title",
        "status": f"upper({p}.status)",
        "actual": _partial_date(d, f"{p}.actual"),
        "participants": d.object_array(
            d.obj(role="upper(pp.role)", organization=organization),
            "project_participant pp "
            "LEFT JOIN organization o ON o.id = pp.organization_id AND o.deleted_at IS NULL "
            f"LEFT JOIN country c ON c.code = o.country_code WHERE pp.project_id = {p}.id",
            "pp.id",
        ),
        "citations": d.object_array(
            d.obj(excerpt="ci.excerpt", source=d.obj(title="so.title")),
            f"citation ci JOIN source so ON so.id = ci.source_id WHERE ci.subject_type = 'project' "
            f"AND ci.subject_id = {p}.id",
            "ci.id",
        ),
    }


@lru_cache
def project_page(d: Dialect, first: int, after: bool) -> str:
    """Q1. Parameters when `after`: after_title, after_id.

    The first page is a statement of its own: one text for both, with `:after_title IS NULL OR …`,
    would make PostgreSQL's generic plan (used after five executions) unable to seek the index."""
    seek = "AND (p.title, p.id) > (:after_title, :after_id) " if after else ""
    edges = d.object_array(d.obj(node=d.obj(**_project_fields(d, "p"))), "shown p", "p.title, p.id")
    page_info = d.obj(
        endCursor=f"(SELECT {d.cursor('title', 'id')} FROM shown ORDER BY title DESC, id DESC LIMIT 1)",
        hasNextPage=d.boolean(f"(SELECT count(*) FROM page) > {first}"),
    )
    return (
        f"WITH page AS (SELECT * FROM project p WHERE p.deleted_at IS NULL {seek}"
        f"ORDER BY p.title, p.id LIMIT {first + 1}), "
        f"shown AS (SELECT * FROM page ORDER BY title, id LIMIT {first}) "
        f"SELECT {d.as_text(d.obj(data=d.obj(projects=d.obj(edges=edges, pageInfo=page_info))))}"
    )


@lru_cache
def project_detail(d: Dialect) -> str:
    """Q2. Parameter: id."""
    agreement = _optional("a.id", d.obj(title="a.title", signed=_partial_date(d, "a.signed", whole=False)))
    event = _optional("ev.id", d.obj(title="ev.title", date=_partial_date(d, "ev.date", whole=False)))
    node = d.obj(
        **_project_fields(d, "p"),
        agreements=d.object_array(
            d.obj(agreement=agreement),
            "project_agreement pa LEFT JOIN agreement a ON a.id = pa.agreement_id AND a.deleted_at IS NULL "
            "WHERE pa.project_id = p.id",
            "pa.id",
        ),
        events=d.object_array(
            d.obj(event=event),
            "project_event pe LEFT JOIN event ev ON ev.id = pe.event_id AND ev.deleted_at IS NULL "
            "WHERE pe.project_id = p.id",
            "pe.id",
        ),
    )
    found = d.nested(f"SELECT {node} FROM project p WHERE p.id = :id AND p.deleted_at IS NULL")
    return f"SELECT {d.as_text(d.obj(data=d.obj(node=found)))}"


# search kind → (table alias, table, GraphQL type, the name field the query selects)
_SEARCHED = {
    "organization": ("o", "organization", "Organization", {"name": "name"}),
    "person": ("pe", "person", "Person", {"displayName": "display_name"}),
    "project": ("pr", "project", "Project", {"title": "title"}),
    "agreement": ("a", "agreement", "Agreement", {"title": "title"}),
    "event": ("ev", "event", "Event", {"title": "title"}),
    "source": ("so", "source", "Source", {"title": "title"}),
    "figure": ("f", "figure", "Figure", {}),
}


_FIELD_RANK = "CASE {e}field WHEN 'name' THEN 0 WHEN 'alias' THEN 1 WHEN 'description' THEN 2 ELSE 3 END"


def search(d: Dialect, words: list[QueryWord], first: int = 20) -> tuple[str, dict]:
    """Q3, for query words already folded, stemmed and corrected (registry.graphql.core.text_search,
    as the server). Returns the statement and its parameters. The tiers, each field's bounded read
    (registry.graphql.search.resolvers._field_matches) and the order are the server's."""
    compact = "".join(w.word.folded for w in words)
    whole = [f"e.terms LIKE {_quoted(f'% {w.word.stem} %')}" for w in words]
    inside = [f"(e.folded LIKE {_quoted(f'%{w.word.folded}%')} OR {stem})" for w, stem in zip(words, whole)]
    names = "e.field IN ('name', 'alias')"
    tier = (f"CASE WHEN e.field = 'name' AND e.folded = {_quoted(compact)} THEN 7 "
            f"WHEN e.field = 'alias' AND e.folded = {_quoted(compact)} THEN 6 "
            f"WHEN {names} AND e.folded LIKE {_quoted(compact + '%')} THEN 5 "
            f"WHEN {names} AND {' AND '.join(whole)} THEN 4 "
            f"WHEN {names} AND {' AND '.join(inside)} THEN 3 "
            f"WHEN {names} THEN 2 WHEN e.field = 'description' THEN 1 ELSE 0 END")
    collate = d.binary_collation
    ranked = f"length({{e}}text), substr({{e}}text, 1, {RANKED_PREFIX}) {collate}, {{e}}subject_type, {{e}}subject_id"
    field_reads, parts, params = [], [], {}
    for field in ("name", "alias", "description", "citation"):
        terms, field_params = d.matching(words, field)
        params |= {f"{name}_{field}": value for name, value in field_params.items()}
        where = " AND ".join(terms).replace(":fts", f":fts_{field}")
        field_reads.append(f"{field}_found AS (SELECT * FROM search_entry e WHERE {where} LIMIT {SORTED_MATCHES + 1})")
        count = f"(SELECT count(*) FROM {field}_found)"
        first_read = (f"(SELECT * FROM search_entry WHERE field = '{field}' ORDER BY {ranked.format(e='')} "
                      f"LIMIT {RANKING_READ})")
        parts += [f"SELECT * FROM {field}_found e WHERE {count} <= {SORTED_MATCHES}",
                  f"SELECT * FROM {first_read} e WHERE {where} AND {count} > {SORTED_MATCHES}"]
    best_first = f"tier DESC, field_rank, {ranked.format(e='')}"
    matched = (
        f"SELECT *, row_number() OVER (PARTITION BY subject_type, subject_id ORDER BY {best_first}) AS place "
        f"FROM (SELECT e.subject_type, e.subject_id, e.field, e.text, {_FIELD_RANK.format(e='e.')} AS field_rank, "
        f"{tier} AS tier FROM ({' UNION ALL '.join(parts)}) e) AS candidates"
    )
    name = ("(SELECT n.text FROM search_entry n WHERE n.subject_type = m.subject_type "
            "AND n.subject_id = m.subject_id AND n.field = 'name' LIMIT 1)")
    # the server's order: tier, name before alias…, shorter text, code points, then kind and id
    order = "{h}tier DESC, {h}field_rank, " + ranked.replace("{e}", "{h}")
    hits = (
        f"SELECT m.subject_type, m.subject_id, m.tier, m.field_rank, m.text, "
        f"CASE WHEN m.field IN ('name', 'alias') THEN m.text ELSE COALESCE({name}, m.text) END AS matched "
        f"FROM ({matched}) m WHERE m.place = 1 ORDER BY {order.format(h='m.')} LIMIT {first}"
    )
    joins, nodes = [], []
    for kind, (alias, table, type_name, names_) in _SEARCHED.items():
        joins.append(f"LEFT JOIN {table} {alias} ON h.subject_type = '{kind}' AND {alias}.id = h.subject_id "
                     f"AND {alias}.deleted_at IS NULL")
        fields = {key: f"{alias}.{column}" for key, column in names_.items()}
        nodes.append(f"WHEN '{kind}' THEN {d.obj(id=d.global_id(type_name, f'{alias}.id'), **fields)}")
    found = "COALESCE(" + ", ".join(f"{alias}.id" for alias, *_ in _SEARCHED.values()) + ") IS NOT NULL"
    node = f"CASE h.subject_type {' '.join(nodes)} END"
    item = d.obj(matchedName="h.matched", score="h.tier", node=node)
    source = f"hits h {' '.join(joins)} WHERE {found}"
    body = d.obj(data=d.obj(search=d.object_array(item, source, order.format(h="h."))))
    return f"WITH {', '.join(field_reads)}, hits AS ({hits}) SELECT {d.as_text(body)}", params


# timeline kind (GraphQL name) → (table, GraphQL type, partial-date column), in the server's order
_TIMELINE = [
    ("EVENT", "event", "Event", "date"),
    ("AGREEMENT_INITIALED", "agreement", "Agreement", "initialed"),
    ("AGREEMENT_SIGNED", "agreement", "Agreement", "signed"),
    ("AGREEMENT_RATIFIED", "agreement", "Agreement", "ratified"),
    ("AGREEMENT_IN_FORCE", "agreement", "Agreement", "in_force"),
    ("AGREEMENT_ENDED", "agreement", "Agreement", "ended"),
    ("PROJECT_PLANNED", "project", "Project", "planned"),
    ("PROJECT_CARRIED_OUT", "project", "Project", "actual"),
]


def timeline(d: Dialect, start: date | None, end: date | None, first: int = 50) -> tuple[str, dict]:
    """Q4: each kind's first items overlapping [start, end], merged and cut to `first`."""
    members = []
    for rank, (kind, table, type_name, column) in enumerate(_TIMELINE):
        lower, upper = f"t.{column}_lower", f"t.{column}_upper"
        window = [f"({lower} IS NOT NULL OR {upper} IS NOT NULL)"]
        if end is not None:
            window.append(f"({lower} IS NULL OR {lower} <= :end)")
        if start is not None:
            window.append(f"({upper} IS NULL OR {upper} >= :start)")
        members.append(
            f"SELECT * FROM (SELECT {rank} AS rank, '{kind}' AS kind, t.title, t.{column} AS value, "
            f"{lower} AS lower, {upper} AS upper, t.id, {d.global_id(type_name, 't.id')} AS node_id "
            f"FROM {table} t "
            f"WHERE t.deleted_at IS NULL AND t.{column} IS NOT NULL AND {' AND '.join(window)} "
            f"ORDER BY {lower} ASC NULLS FIRST, {upper} ASC NULLS LAST, t.title {d.binary_collation}, t.id "
            f"LIMIT {first}) AS m{rank}"
        )
    # the server's order: lower (open start first), upper (open end last), title bytewise, id, then
    # kind (an agreement's steps on one date keep the server's kind order)
    order = f"i.lower ASC NULLS FIRST, i.upper ASC NULLS LAST, i.title {d.binary_collation}, i.id, i.rank"
    when = d.obj(value="i.value", precision=_precision("i.value"), lower="i.lower", upper="i.upper")
    item = d.obj(kind="i.kind", title="i.title", date=when, node=d.obj(id="i.node_id"))
    body = d.obj(data=d.obj(timeline=d.object_array(item, "shown i", order)))
    statement = (f"WITH items AS ({' UNION ALL '.join(members)}), "
                 f"shown AS (SELECT * FROM items i ORDER BY {order} LIMIT {first}) SELECT {d.as_text(body)}")
    bounds = {"start": start, "end": end}
    return statement, {name: d.date_value(value) for name, value in bounds.items() if value is not None}
