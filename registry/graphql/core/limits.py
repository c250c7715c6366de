"""What one GraphQL request may ask for, checked in time linear in the size of its document.

The document's text must be short (`max_query_length` characters) and parse into few tokens
(`max_tokens`, comments included). One walk over the parsed document then measures each
operation and each fragment once: how deep its fields nest, how many aliases and fragment
spreads it holds, and what it costs. A fragment spread adds what its fragment measured, so a
document whose fragments spread each other twice, thirty levels deep, is measured in thirty
steps rather than 2**30. The same walk finds the field repeated most often in one selection
set (inline fragments included), which graphql-core's OverlappingFieldsCanBeMergedRule would
compare pairwise. A document over a limit is refused there, before graphql-core's own rules
see it, so that validating any document takes time linear in its size.

The cost of an operation is how many items the lists of objects in its response may hold: a
list multiplies everything below it by its size, like GitHub's node limit. A connection
(`projects`, `organizations`…) counts its page (`first` or `last`, else 20; at most 100),
`search` and `timeline` their `first`, `nodes` its number of ids, and a relationship list
without a page argument (`participants`, `citations`, `aliases`…) is assumed to hold
`ASSUMED_LIST_SIZE` items. `projects(first: 50) { edges { node { participants { … } citations
{ … } } } }` costs 50 + 50 × 10 + 50 × 10 = 1,050. Page sizes may come from variables, so each
operation's cost is kept as a polynomial in them and evaluated per request; without variables
it is a number.

Parsed documents, the results of their validation and their measures are cached by query text,
within a budget of bytes rather than of entries: a few large documents cannot crowd memory.
"""

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    is_list_type,
    is_non_null_type,
    validate,
    visit,
)
from graphql.language.parser import Parser
from strawberry import relay
from strawberry.extensions import SchemaExtension

from ...config import Environment, Settings
from ...config import settings as default_settings
from ..search.resolvers import MAX_HITS
from ..timeline.resolvers import MAX_ITEMS
from .compat import MaybeNullValidationRule, OneOfInputValidationRule, graphql_core_schema
from .execution import forget_shared_plans
from .pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["ASSUMED_LIST_SIZE", "Limits", "QueryLimits", "prepare"]

ASSUMED_LIST_SIZE = 10
# The most items a page argument can ask for, by field; other page arguments take MAX_PAGE_SIZE.
# Larger values are refused by the field itself, with a message naming the argument.
_PAGE_MAXIMUM = {("Query", "search"): MAX_HITS, ("Query", "timeline"): MAX_ITEMS}
# An upper bound of the memory a parsed document takes per token (tokens, nodes, locations),
# measured on documents of one-character field names, the densest kind.
_BYTES_PER_TOKEN = 640


@dataclass(frozen=True)
class Limits:
    """One app's limits (from its settings); validation results are cached by them."""

    max_query_length: int
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_fragment_spreads: int
    max_field_repeats: int
    max_cost: int
    hide_suggestions: bool

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(
            max_query_length=settings.max_query_length,
            max_tokens=settings.max_tokens,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_fragment_spreads=settings.max_fragment_spreads,
            max_field_repeats=settings.max_field_repeats,
            max_cost=settings.max_query_cost,
            # Suggestions ("Did you mean …?") would spell the schema out to someone guessing.
            hide_suggestions=settings.env == Environment.PRODUCTION,
        )


def limit_exceeded(limit: str, maximum: int, value: int | None, message: str) -> GraphQLError:
    """A refusal naming the limit (`extensions.limit`), its maximum and the request's value if known."""
    extensions = {"code": "GRAPHQL_VALIDATION_FAILED", "limit": limit, "maximum": maximum}
    if value is not None:
        extensions["value"] = value
    return GraphQLError(message, extensions=extensions)


# A page size the request decides: ("page", variable, fallback, maximum) is the variable's value
# clamped to 0..maximum, or the fallback when it is not given; ("length", variable, fallback,
# None) is the number of items of a list variable.
Factor = tuple[str, str, int, int | None]
# A sum of terms: coefficient by the (sorted) factors multiplying it; () is the constant term.
Polynomial = dict[tuple[Factor, ...], int]


def _add(total: Polynomial, polynomial: Polynomial, coefficient: int, factors: tuple[Factor, ...]) -> None:
    for term, value in polynomial.items():
        key = tuple(sorted(term + factors)) if factors else term
        total[key] = total.get(key, 0) + value * coefficient


@dataclass
class _Measures:
    """What one operation or fragment holds itself, and the fragments it spreads."""

    depth: int = 0  # fields nesting, as Strawberry's QueryDepthLimiter counted them
    aliases: int = 0
    spread_count: int = 0  # fragment spreads, and those of the fragments spread
    cost: Polynomial = field(default_factory=dict)
    # (fragment, fields enclosing the spread, coefficient and factors multiplying the spread)
    spreads: list[tuple[str, int, int, tuple[Factor, ...]]] = field(default_factory=list)


class _Measuring(Visitor):
    """Walks the document once (iteratively: nesting cannot exhaust the stack), with type info."""

    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info = type_info
        self.definitions: dict[OperationDefinitionNode | FragmentDefinitionNode, _Measures] = {}
        self._current = _Measures()
        # per enclosing field: (counts toward depth, coefficient, factors) of everything below it
        self._stack: list[tuple[int, int, tuple[Factor, ...]]] = [(0, 1, ())]
        self._variable_defaults: dict[str, Any] = {}
        # response names of the fields of each enclosing selection set, and how often each comes
        self._names: list[dict[str, int]] = []
        self.most_repeated = (0, "")  # (times, response name) of the field most repeated in one set

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        self._current = self.definitions[node] = _Measures()
        self._variable_defaults = {
            definition.variable.name.value: definition.default_value
            for definition in node.variable_definitions or ()
        }

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._current = self.definitions[node] = _Measures()
        self._variable_defaults = {}  # a fragment's variables are its operations': no defaults known

    def enter_selection_set(self, node: SelectionSetNode, key: Any, parent: Any, *_: Any) -> None:
        if not isinstance(parent, InlineFragmentNode):  # an inline fragment's fields join its parent's
            self._names.append({})

    def leave_selection_set(self, node: SelectionSetNode, key: Any, parent: Any, *_: Any) -> None:
        if not isinstance(parent, InlineFragmentNode):
            self._names.pop()

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if node.alias:
            self._current.aliases += 1
        response_name = (node.alias or node.name).value
        names = self._names[-1]
        times = names[response_name] = names.get(response_name, 0) + 1
        if times > self.most_repeated[0]:
            self.most_repeated = (times, response_name)
        if node.name.value.startswith("__"):
            return False  # introspection is neither deep nor costly (and GraphiQL's query nests)
        if node.selection_set is None:
            return None
        depth, coefficient, factors = self._stack[-1]
        depth += 1
        self._current.depth = max(self._current.depth, depth)
        size = self._size(node)
        if size is not None:
            if isinstance(size, int):
                coefficient *= size
            else:
                factors = (*factors, size)
            key = tuple(sorted(factors))
            self._current.cost[key] = self._current.cost.get(key, 0) + coefficient
        self._stack.append((depth, coefficient, factors))
        return None

    def leave_field(self, node: FieldNode, *_: Any) -> None:
        if node.selection_set is not None:
            self._stack.pop()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self._current.spreads.append((node.name.value, *self._stack[-1]))

    def _size(self, node: FieldNode) -> int | Factor | None:
        """How many items the field returns, or None when it is not a list (one object)."""
        parent, definition = self.type_info.get_parent_type(), self.type_info.get_field_def()
        if parent is None or definition is None:
            return None  # unknown field: validation reports it
        arguments = {argument.name.value: argument.value for argument in node.arguments or ()}
        if "first" in definition.args:  # connections take `last` too, of the same maximum
            maximum = _PAGE_MAXIMUM.get((parent.name, node.name.value), MAX_PAGE_SIZE)
            default = definition.args["first"].default_value
            fallback = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
            return self._value("page", arguments.get("first", arguments.get("last")), fallback, maximum)
        if _is_connection(parent):
            return None  # a connection's edges: its page size counted them already
        return_type = definition.type.of_type if is_non_null_type(definition.type) else definition.type
        if not is_list_type(return_type):
            return None
        if "ids" in definition.args:
            return self._value("length", arguments.get("ids"), 0, None)
        return ASSUMED_LIST_SIZE

    def _value(self, kind: str, value: Any, fallback: int, maximum: int | None) -> int | Factor:
        name = getattr(getattr(value, "name", None), "value", None) if value is not None else None
        if name is not None:  # a variable: its value is known per request; its default now
            value = self._variable_defaults.get(name)
        if kind == "length" and isinstance(value, ListValueNode):
            fallback = len(value.values)
        elif kind == "page" and isinstance(value, IntValueNode):
            fallback = min(max(int(value.value), 0), maximum)
        return fallback if name is None else (kind, name, fallback, maximum)


def _is_connection(graphql_type: Any) -> bool:
    definition = graphql_type.extensions.get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    return isinstance(origin, type) and issubclass(origin, relay.Connection)


@dataclass(frozen=True)
class OperationMeasures:
    depth: int
    aliases: int
    spread_count: int
    cost: Polynomial


DocumentMeasures = tuple[tuple[int, str], dict[str, OperationMeasures]]


def _measure(schema: GraphQLSchema, document: DocumentNode) -> DocumentMeasures:
    """The field most repeated in one selection set (times, response name), and each operation's
    measures by name ('' for an anonymous one)."""
    measuring = _Measuring(TypeInfo(schema))
    visit(document, TypeInfoVisitor(measuring.type_info, measuring))
    fragments = {
        node.name.value: measures
        for node, measures in measuring.definitions.items()
        if isinstance(node, FragmentDefinitionNode)
    }
    totals: dict[str, OperationMeasures | None] = {}  # None while being totalled: a cycle adds nothing

    def total(measures: _Measures) -> OperationMeasures:
        depth, aliases, spread_count, cost = measures.depth, measures.aliases, 0, dict(measures.cost)
        for name, enclosing, coefficient, factors in measures.spreads:
            if name not in totals:
                totals[name] = None
                totals[name] = total(fragments[name]) if name in fragments else None
            spread_count += 1
            spread = totals[name]
            if spread is not None:
                depth = max(depth, enclosing + spread.depth)
                aliases += spread.aliases
                spread_count += spread.spread_count
                _add(cost, spread.cost, coefficient, factors)
        return OperationMeasures(depth, aliases, spread_count, cost)

    return measuring.most_repeated, {
        (node.name.value if node.name else ""): total(measures)
        for node, measures in measuring.definitions.items()
        if isinstance(node, OperationDefinitionNode)
    }


def _cost(polynomial: Polynomial, variables: Mapping[str, Any]) -> int:
    cost = 0
    for factors, coefficient in polynomial.items():
        for kind, name, fallback, maximum in factors:
            value = variables.get(name)
            if kind == "length":
                value = len(value) if isinstance(value, list) else fallback
            elif isinstance(value, int) and not isinstance(value, bool):
                value = min(max(value, 0), maximum)
            else:
                value = fallback  # absent or null; a value of the wrong type is refused by graphql-core
            coefficient *= value
        cost += coefficient
    return cost


class PreparedDocument:
    """A parsed query text, its validation results and its operations' measures."""

    def __init__(self, document: DocumentNode, token_count: int, size: int):
        self.document = document
        self.token_count = token_count
        self.size = size  # bytes, estimated from above
        self.operation_count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        # by the limits and rules validated with (the same for every request of an app)
        self._errors: dict[tuple[Limits, tuple[type[ASTValidationRule], ...]], list[GraphQLError]] = {}
        self._measures: DocumentMeasures | None = None

    def errors(
        self, schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...], limits: Limits
    ) -> list[GraphQLError]:
        """Validation errors of the document: over-limit documents never reach graphql-core's rules."""
        errors = self._errors.get((limits, rules))
        if errors is None:
            errors = self._errors[limits, rules] = self._limit_errors(schema, limits) or validate(
                schema, self.document, (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
                hide_suggestions=limits.hide_suggestions,
            )
        return errors

    def _limit_errors(self, schema: GraphQLSchema, limits: Limits) -> list[GraphQLError]:
        if self.token_count > limits.max_tokens:  # parsed under a larger limit (another app's)
            return [_too_many_tokens(limits.max_tokens, self.token_count)]
        if self._measures is None:
            self._measures = _measure(schema, self.document)
        (times, response_name), operations = self._measures
        if times > limits.max_field_repeats:
            # graphql-core compares the fields of one response name pairwise: keep their pairs few
            return [limit_exceeded(
                "fieldRepeats", limits.max_field_repeats, times,
                f"The field '{response_name}' is selected {times} times in one selection set; "
                f"at most {limits.max_field_repeats} are allowed.",
            )]
        errors = []
        for name, measures in operations.items():
            label = f"Operation '{name}'" if name else "The operation"
            if measures.depth > limits.max_depth:
                errors.append(limit_exceeded(
                    "depth", limits.max_depth, measures.depth,
                    f"{label} nests fields {measures.depth} deep; at most {limits.max_depth} are allowed.",
                ))
            if measures.aliases > limits.max_aliases:
                errors.append(limit_exceeded(
                    "aliases", limits.max_aliases, measures.aliases,
                    f"{label} has {measures.aliases} aliases (fragments count each time they are spread); "
                    f"at most {limits.max_aliases} are allowed.",
                ))
            if measures.spread_count > limits.max_fragment_spreads:
                errors.append(limit_exceeded(
                    "fragmentSpreads", limits.max_fragment_spreads, measures.spread_count,
                    f"{label} spreads fragments {measures.spread_count} times (counting the spreads in the "
                    f"fragments spread); at most {limits.max_fragment_spreads} are allowed.",
                ))
        return errors

    def cost(self, operation_name: str | None, variables: Mapping[str, Any]) -> int:
        """The cost of the operation that runs (after validation, so measured already)."""
        assert self._measures is not None
        operations = self._measures[1]
        if operation_name is None:  # then the document has one operation
            measures = next(iter(operations.values()))
        else:
            measures = operations.get(operation_name)
        return 0 if measures is None else _cost(measures.cost, variables)


def _too_many_tokens(maximum: int, count: int | None) -> GraphQLError:
    return limit_exceeded(
        "tokens", maximum, count,
        f"The document has more than {maximum} tokens (names, punctuation, values and comments); "
        "split it into smaller queries.",
    )


class _DocumentCache:
    """Prepared documents by query text, least recently used first, within a budget of bytes."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self.size = 0

    def get(self, query: str) -> PreparedDocument | None:
        prepared = self._entries.get(query)
        if prepared is not None:
            self._entries.move_to_end(query)
        return prepared

    def put(self, query: str, prepared: PreparedDocument, budget: int) -> None:
        """Keep `prepared`, evicting the least recently used until the cache fits the budget
        (the newest entry stays even when it alone does not: the request at hand uses it)."""
        if query in self._entries:
            return
        self._entries[query] = prepared
        self.size += prepared.size
        while self.size > budget and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self.size -= evicted.size
            forget_shared_plans(evicted.document)  # the executor's plans keep a document alive


_DOCUMENTS = _DocumentCache()


def prepare(query: str, limits: Limits, cache_bytes: int) -> PreparedDocument:
    """The parsed `query`, from the cache or parsed now; raises a coded error over the length or
    token limit, or graphql-core's syntax error."""
    if len(query) > limits.max_query_length:
        raise limit_exceeded(
            "queryLength", limits.max_query_length, len(query),
            f"The query is {len(query)} characters long; at most {limits.max_query_length} are allowed.",
        )
    prepared = _DOCUMENTS.get(query)
    if prepared is not None:
        return prepared
    parser = Parser(query, max_tokens=limits.max_tokens)
    try:
        document = parser.parse_document()
    except GraphQLError as error:
        # graphql-core's parser (or its lexer, skipping comments) stopped at the limit
        if f"more than {limits.max_tokens} tokens" in error.message:
            raise _too_many_tokens(limits.max_tokens, None) from None
        raise
    size = len(query) + parser.token_count * _BYTES_PER_TOKEN
    prepared = PreparedDocument(document, parser.token_count, size)
    _DOCUMENTS.put(query, prepared, cache_bytes)
    return prepared


class QueryLimits(SchemaExtension):
    """Parses through the document cache, validates with the limits, and checks the cost.

    Replaces Strawberry's ParserCache, ValidationCache, MaxTokensLimiter, QueryDepthLimiter and
    MaxAliasesLimiter. Made per request (the caches are module-wide)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", default_settings)
        self._limits, self._cache_bytes = Limits.of(settings), settings.query_cache_bytes
        # Before parsing, `operation_name` is the client's; afterwards Strawberry falls back to the
        # first operation's name, which would run the first of several operations unasked.
        self._requested_operation = context.operation_name
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        self._prepared = prepare(context.query, self._limits, self._cache_bytes)
        context.graphql_document = self._prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        errors = self._prepared.errors(graphql_core_schema(context.schema), context.validation_rules, self._limits)
        if not errors:
            errors = self._request_errors()
        context.pre_execution_errors = errors  # set: Strawberry does not validate again
        yield

    def _request_errors(self) -> list[GraphQLError]:
        """Errors of this request's operation name and variables in a valid document."""
        operations = self._prepared.operation_count
        if operations > 1 and self._requested_operation is None:
            return [GraphQLError(
                f"The document has {operations} operations: give operationName to choose the one to run.",
                extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
            )]
        cost = self._prepared.cost(self._requested_operation, self.execution_context.variables or {})
        if cost > self._limits.max_cost:
            return [limit_exceeded(
                "cost", self._limits.max_cost, cost,
                f"The query may return {cost} items, over the limit of {self._limits.max_cost}: lists "
                f"multiply the items below them by their page size (first/last, else {DEFAULT_PAGE_SIZE}; "
                f"{ASSUMED_LIST_SIZE} for lists without one). Ask for smaller pages or fewer nested lists.",
            )]
        return []
