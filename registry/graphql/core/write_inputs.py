"""GraphQL inputs made from the services' pydantic inputs, so the two can never drift apart.

Each record kind gets two: `<Kind>Input`, the whole record (what create takes; its required
fields are non-null), and `<Kind>PatchInput`, every field optional (what update and upsert take:
a field left out stays as it is, a list given replaces the whole list). Rows inside them
(aliases, identifiers, citations, participants…) are one input type per pydantic model, shared.
The GraphQL layer only shapes: every rule (lengths, partial dates, amounts, references) stays in
the pydantic models and the services, whose refusals come back as userErrors.

Strawberry builds a value of these inputs as the plain dict the services take (`plain_fields`),
not as an instance of the class: keyed by Python names, holding only the fields the client gave
(null included). A bulk of 1,000 records would otherwise be built into some 20,000 objects field
by field, then taken apart again.
"""

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

import strawberry
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from strawberry.types.base import StrawberryList, StrawberryOptional

from ...services.entities import EntitySpec
from ...services.inputs import PartialDateText
from . import enums as _registered_enums  # noqa: F401 (registers the model's enums with Strawberry)
from .compat import UNSET, to_camel_case

__all__ = ["WriteInputs", "plain_fields", "write_inputs"]

_SCALARS = (str, int, bool, Decimal)
_PARTIAL_DATE_CHECK = typing.get_args(PartialDateText)[1]


def _model_name(model: type[BaseModel]) -> str:
    return model.__name__.removesuffix("In")


def _describe(name: str, info: FieldInfo, refs: typing.Mapping[str, Any]) -> str:
    """What a field holds, said from what the services know of it (reference, date, list…)."""
    if info.description:
        return info.description
    if name in refs and refs[name].__tablename__ == "country":
        return "The country, by ISO 3166-1 alpha-2 code"
    if name in refs or name in _ROW_REFERENCES:
        return f"The {getattr(refs.get(name), '__tablename__', name).replace('_', ' ')} it refers to, by slug"
    if _PARTIAL_DATE_CHECK in info.metadata:
        return "A partial date as written (EDTF), e.g. 2002-09, 1996/1997, 2004~, 2009/.."
    if typing.get_origin(info.annotation) is list:
        return f"The {to_camel_case(name)}; given, they replace the whole list"
    return _PLAIN_DESCRIPTIONS.get(name, f"The record's {to_camel_case(name)}")


# References inside rows (a participant's organization…), by slug like every reference.
_ROW_REFERENCES = frozenset({"organization", "person", "agreement", "event", "source"})
# Fields every kind shares, said once; the rest are described from their kind of value.
_PLAIN_DESCRIPTIONS = {
    "slug": "Stable human-readable key (lowercase words joined by hyphens); derived from the name when left out",
    "lang": "BCP-47 language tag",
    "scheme": "The partner system's name for its keys (lowercase)",
    "excerpt": "Verbatim from the source, one sentence at most",
    "locator": "Where in the source, e.g. para. 21",
    "description": "Free text about the record",
}


def _graphql_annotation(annotation: Any) -> Any:
    """The Strawberry annotation for a pydantic field's type (nested models become inputs)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _graphql_annotation(inner) | None
    if origin is typing.Annotated:
        return _graphql_annotation(typing.get_args(annotation)[0])
    if origin is list:
        return list[_graphql_annotation(typing.get_args(annotation)[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return row_input(annotation)
    if isinstance(annotation, type) and issubclass(annotation, (Enum, *_SCALARS)):
        return annotation
    raise TypeError(f"no GraphQL input type for {annotation!r}")


def _input_class(
    name: str, description: str, model: type[BaseModel], refs: typing.Mapping[str, Any], partial: bool,
    record: bool = False,
) -> type:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    if record:  # the services take a record's slug beside its input: to name it, or to rename it
        annotations["slug"] = str | None
        namespace["slug"] = strawberry.field(default=UNSET, description=_PLAIN_DESCRIPTIONS["slug"])
    for field_name, info in model.model_fields.items():
        annotation = _graphql_annotation(info.annotation)
        text = _describe(field_name, info, refs)
        if info.is_required() and not partial:
            annotations[field_name] = annotation
            namespace[field_name] = strawberry.field(description=text)
        else:
            # left out (UNSET) means "the default" on create and "unchanged" on a patch
            annotations[field_name] = annotation | None
            namespace[field_name] = strawberry.field(default=UNSET, description=text)
    return plain_fields(strawberry.input(type(name, (), namespace), name=name, description=description))


@cache
def row_input(model: type[BaseModel]) -> type:
    """The input of a row inside a record (an alias, a citation, a participant…), one per model."""
    return _input_class(f"{_model_name(model)}Input", model.__doc__ or f"A {_model_name(model)} row",
                        model, {}, partial=False)


@dataclasses.dataclass(frozen=True)
class WriteInputs:
    whole: type  # <Kind>Input: what create takes
    patch: type  # <Kind>PatchInput: what update and upsert take


def write_inputs(spec: EntitySpec, type_name: str) -> WriteInputs:
    """The two inputs of a kind, made once (the spec holds dicts, so it is no cache key itself)."""
    if type_name in _MADE:
        return _MADE[type_name]
    refs = dict(spec.refs)
    made = _MADE[type_name] = WriteInputs(
        whole=_input_class(f"{type_name}Input", f"A whole {type_name}: what create{type_name} takes",
                           spec.input, refs, partial=False, record=True),
        patch=_input_class(
            f"{type_name}PatchInput",
            f"Some fields of a {type_name}: those given are changed, those left out stay as they are",
            spec.input, refs, partial=True, record=True),
    )
    return made


_MADE: dict[str, WriteInputs] = {}


Convert = Callable[[Any], Any]


def plain_fields(input_class: type) -> type:
    """Makes Strawberry build `input_class`'s values as plain dicts (with its `from_input` hook,
    which gets the value graphql-core has coerced, keyed by GraphQL names, nested inputs too)."""
    input_class.__strawberry_definition__.from_input = lambda _class, value, _context: _plain(input_class, value)
    return input_class


def _plain(input_class: type, value: Mapping[str, Any]) -> Any:
    convert = _converter(input_class)
    return value if convert is None else convert(value)


@cache
def _converter(input_class: type) -> Convert | None:
    """The function from a coerced value of `input_class` to its plain dict; leaves (strings,
    numbers, enums) are already Python values, only the names and nesting change. None when
    nothing can change: every field is named alike in Python and GraphQL, and holds no input
    that changes. A value is handed on as graphql-core coerced it (a new dict for each value)
    whenever it holds no field that changes: a bulk of organizations then builds no dict of its
    own for each record, organization and citation."""
    fields = [(field.graphql_name or to_camel_case(field.python_name), field.python_name, _nested(field.type))
              for field in input_class.__strawberry_definition__.fields]
    changing = [graphql_name for graphql_name, python_name, nested in fields
                if graphql_name != python_name or nested is not None]
    if not changing:
        return None

    def convert(value: Mapping[str, Any]) -> Mapping[str, Any]:
        if not any(graphql_name in value for graphql_name in changing):
            return value
        return {python_name: (item if nested is None or item is None else nested(item))
                for graphql_name, python_name, nested in fields
                if (item := value.get(graphql_name, _OMITTED)) is not _OMITTED}

    return convert


_OMITTED = object()


def _nested(field_type: Any) -> Convert | None:
    """How a field's value is converted: None for a leaf or an input that needs no converting,
    else by its input's converter."""
    while isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, StrawberryList):
        item = _nested(field_type.of_type)
        return None if item is None else (lambda values: [None if value is None else item(value) for value in values])
    if hasattr(field_type, "__strawberry_definition__"):
        return _converter(field_type)
    return None
