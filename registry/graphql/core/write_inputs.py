"""GraphQL inputs made from the services' pydantic inputs, so the two can never drift apart.

Each record kind gets two: `<Kind>Input`, the whole record (what create takes; its required
fields are non-null), and `<Kind>PatchInput`, every field optional (what update and upsert take:
a field left out stays as it is, a list given replaces the whole list). Rows inside them
(aliases, identifiers, citations, participants…) are one input type per pydantic model, shared.
The GraphQL layer only shapes: every rule (lengths, partial dates, amounts, references) stays in
the pydantic models and the services, whose refusals come back as userErrors.
"""

import dataclasses
import types
import typing
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

import strawberry
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ...services.entities import EntitySpec
from ...services.inputs import PartialDateText
from . import enums as _registered_enums  # noqa: F401 (registers the model's enums with Strawberry)
from .compat import UNSET, to_camel_case

__all__ = ["WriteInputs", "as_fields", "write_inputs"]

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
    return strawberry.input(type(name, (), namespace), name=name, description=description)


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


def as_fields(value: Any) -> Any:
    """A Strawberry input as the plain dict the services take; fields left out are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: as_fields(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not UNSET
        }
    if isinstance(value, list):
        return [as_fields(item) for item in value]
    return value
