"""Edit forms for records: WTForms classes that sqladmin renders, mapped onto the services' inputs.

sqladmin builds forms from table columns, but a record's input (registry/services/inputs.py) is
not its row: references are slugs, and aliases, identifiers, citations and relationship rows live
in other tables. So each editable kind declares its form here; `to_fields` turns a submitted form
into the service's fields and `errors_to_form` puts each ServiceError next to its field.

WTForms' FieldList of FormField gives the inline rows; sqladmin has no "add a row" button, so
every list shows its rows plus BLANK_ROWS empty ones (left empty, they are ignored).
"""

import json
from contextvars import ContextVar
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from wtforms import Form, validators
from markupsafe import Markup
from wtforms.fields import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.widgets import TableWidget, html_params

from ..models import Country, Event, Organization, Person, Project, Source
from ..models.enums import (
    AgreementKind,
    AgreementPartyRole,
    AgreementStatus,
    AliasKind,
    EventKind,
    EventParticipantRole,
    FigureMetric,
    FigureQualifier,
    FigureUnit,
    OrganizationKind,
    ProjectKind,
    ProjectParticipantRole,
    ProjectStatus,
    Sector,
)
from ..services import RECORD_SPECS, FieldError

__all__ = ["BLANK_ROWS", "MAX_PICKER_CHOICES", "RecordForm", "errors_to_form", "form_for", "to_fields"]

BLANK_ROWS = 1
MAX_ROWS = 200  # rows of one list in one submission
MAX_PICKER_CHOICES = 5_000  # records offered by one picker (searched in the browser)
PARTIAL_DATE_HELP = "as the document gives it: 1999, 2002-09 or 1996-01-16; ~ for approximate (2004~); 1996/1997 for a span"
_current_form: ContextVar["RecordForm | None"] = ContextVar("registry_admin_form", default=None)


def submitted_form() -> "RecordForm | None":
    """The form of this request, as last built by sqladmin (errors go back onto it)."""
    return _current_form.get()


class RecordForm(Form):
    """A record's form: remembers itself for this request and adds blank rows to its lists."""

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        _current_form.set(self)
        if formdata is None:
            for field in self:
                if isinstance(field, FieldList):
                    for _ in range(BLANK_ROWS):
                        field.append_entry()


_INPUT = {"class": "form-control"}


def _text(label: str, max_length: int, **kwargs) -> StringField:
    return StringField(label, [validators.Optional(), validators.Length(max=max_length)], render_kw=_INPUT, **kwargs)


def _date(label: str) -> StringField:
    return StringField(label, [validators.Optional(), validators.Length(max=40)], description=PARTIAL_DATE_HELP,
                       render_kw={**_INPUT, "placeholder": "YYYY, YYYY-MM or YYYY-MM-DD"})


def _enum(label: str, enum: type[StrEnum], optional: bool = False) -> SelectField:
    choices = ([("", "—")] if optional else []) + [(m.value, m.value.replace("_", " ")) for m in enum]
    # the service checks the value and says why; WTForms' "Not a valid choice" would name nothing
    return SelectField(label, choices=choices, validate_choice=False, render_kw={"class": "form-select"})


def _picker(label: str, choices: list[tuple[str, str]]) -> SelectField:
    """A searchable drop-down of records by name (select2, shipped with sqladmin); submits the slug."""
    return SelectField(label, choices=[("", "—"), *choices], render_kw={"data-role": "picker"}, validate_choice=False)


class RowWidget(TableWidget):
    """WTForms' table of an inline row's fields, each followed by its errors: sqladmin marks only a
    form's top-level fields, and a service error on a row (parties.0.organization) belongs here."""

    def __call__(self, field, **kwargs) -> Markup:
        cells, hidden = [], Markup()
        for subfield in field:
            if isinstance(subfield, HiddenField):
                hidden += subfield()
                continue
            cells.append(Markup("<tr><th>{}</th><td>{}{}</td></tr>").format(subfield.label, hidden, _with_errors(subfield)))
            hidden = Markup()
        return Markup("<table {}>{}</table>{}").format(Markup(html_params(id=field.id, **kwargs)), Markup("").join(cells), hidden)


def _with_errors(field) -> Markup:
    if not field.errors:
        return field()
    css = f"{(field.render_kw or {}).get('class', '')} is-invalid".strip()
    messages = Markup("").join(Markup('<div class="invalid-feedback d-block">{}</div>').format(e) for e in field.errors)
    return field(class_=css) + messages


class RowList(FieldList):
    """Inline rows, at most MAX_ROWS: WTForms silently drops rows past max_entries; a submission
    with more is refused, by name, so that nothing is saved without the rows it was sent with."""

    too_many = False

    def process(self, formdata, *args, **kwargs):
        self.too_many = bool(formdata) and len(set(self._extract_indices(self.name, formdata))) > self.max_entries
        super().process(formdata, *args, **kwargs)

    def validate(self, form, extra_validators=()) -> bool:
        valid = super().validate(form, extra_validators)
        if self.too_many:
            self.errors.append(f"at most {self.max_entries} rows can be saved at once")
        return valid and not self.too_many


def _rows(row_form: type[Form], label: str) -> FieldList:
    return RowList(FormField(row_form, widget=RowWidget()), label, max_entries=MAX_ROWS)


class AliasRow(Form):
    name = _text("Alias", 300)
    lang = _text("Language", 20, default="en")
    kind = _enum("Kind", AliasKind, optional=True)


class IdentifierRow(Form):
    scheme = _text("Scheme", 50)
    value = _text("Value", 200)


def _citation_row(sources: list[tuple[str, str]]) -> type[Form]:
    class CitationRow(Form):
        source = _picker("Source", sources)
        excerpt = TextAreaField("Excerpt", [validators.Optional(), validators.Length(max=1000)], render_kw={**_INPUT, "rows": 2})
        locator = _text("Locator", 100)

    return CitationRow


def _relation_row(sources: list[tuple[str, str]], **fields) -> type[Form]:
    """A relationship row with its first citation editable and any others kept as they were."""
    return type("RelationRow", (Form,), {
        **fields,
        "source": _picker("Source", sources),
        "excerpt": TextAreaField("Excerpt", [validators.Optional(), validators.Length(max=1000)], render_kw={**_INPUT, "rows": 2}),
        "locator": _text("Locator", 100),
        "more_citations": HiddenField(validators=[validators.Length(max=20_000)]),
    })


async def _choices(session: AsyncSession, model, label) -> list[tuple[str, str]]:
    key = model.code if model is Country else model.slug
    statement = sa.select(key, label).order_by(label).limit(MAX_PICKER_CHOICES)
    if model is not Country:
        statement = statement.where(model.deleted_at.is_(None))
    return [(k, f"{name} ({k})") for k, name in (await session.execute(statement)).all()]


def _participant_row(sources, organizations, people, roles: type[StrEnum]) -> type[Form]:
    """An organization and/or a person taking part in something, in a role."""
    return _relation_row(sources, organization=_picker("Organization", organizations),
                         person=_picker("Person", people), role=_enum("Role", roles, optional=True))


async def _own_fields(kind: str, session: AsyncSession, sources, countries, organizations) -> dict:
    """The fields of a kind besides those every record has (slug, country, description, lists)."""
    if kind == "organization":
        return {
            "name": _text("Name", 300), "kind": _enum("Kind", OrganizationKind),
            "city": _text("City", 100), "parent": _picker("Parent organization", organizations),
            "founded": _date("Founded"), "dissolved": _date("Dissolved"),
        }
    if kind == "person":
        position = _relation_row(sources, organization=_picker("Organization", organizations),
                                 title=_text("Title", 300), period=_date("Period"), as_of=_date("As of"))
        return {
            "display_name": _text("Display name", 200), "given_name": _text("Given name", 100),
            "family_name": _text("Family name", 100), "patronymic": _text("Patronymic", 100),
            "positions": _rows(position, "Positions"),
        }
    if kind == "project":
        people = await _choices(session, Person, Person.display_name)
        return {
            "title": _text("Title", 300), "kind": _enum("Kind", ProjectKind), "sector": _enum("Sector", Sector),
            "status": _enum("Status", ProjectStatus), "planned": _date("Planned"), "actual": _date("Actual"),
            "location": _text("Location", 200),
            "participants": _rows(_participant_row(sources, organizations, people, ProjectParticipantRole),
                                  "Participants"),
        }
    if kind == "agreement":
        people = await _choices(session, Person, Person.display_name)
        events = await _choices(session, Event, Event.title)
        # role optional in the row so that a blank row stays blank; the service's default is "party"
        party = _relation_row(sources, organization=_picker("Organization", organizations),
                              role=_enum("Role", AgreementPartyRole, optional=True))
        signatory = _relation_row(sources, person=_picker("Person", people),
                                  organization=_picker("On behalf of", organizations))
        return {  # fields are made, so shown, in this order
            "title": _text("Title", 500), "kind": _enum("Kind", AgreementKind),
            "status": _enum("Status", AgreementStatus),
            **{name: _date(name.replace("_", " ").capitalize())
               for name in ("initialed", "signed", "ratified", "in_force", "ended", "valid")},
            "city": _text("City", 100),
            "signing_event": _picker("Signed at (event)", events),
            "parties": _rows(party, "Parties"), "signatories": _rows(signatory, "Signatories"),
        }
    if kind == "event":
        people = await _choices(session, Person, Person.display_name)
        return {
            "title": _text("Title", 500), "kind": _enum("Kind", EventKind), "date": _date("Date"),
            "city": _text("City", 100),
            "participants": _rows(_participant_row(sources, organizations, people, EventParticipantRole),
                                  "Participants"),
        }
    if kind == "figure":
        projects = await _choices(session, Project, Project.title)
        return {
            "metric": _enum("Metric", FigureMetric),
            "value": _text("Value", 40, description="a number, e.g. 1250.5 (no thousands separators)"),
            "value_max": _text("Up to (for a range)", 40), "unit": _enum("Unit", FigureUnit),
            "qualifier": _enum("Qualifier", FigureQualifier), "period": _date("Period"),
            "from_country": _picker("From country", countries), "to_country": _picker("To country", countries),
            "subject_project": _picker("About project", projects),
            "subject_organization": _picker("About organization", organizations),
            "original": _text("Original wording", 300, description="the figure as the document prints it"),
        }
    if kind == "source":
        return {
            "title": _text("Title", 500), "file": _text("File", 200, description="file name in the sources folder"),
            "author": _text("Author", 200), "publication": _text("Publication", 500),
            "published": _date("Published"), "url": _text("URL", 500),
        }
    raise LookupError(f"no form for {kind}")


async def form_for(kind: str, session: AsyncSession) -> type[RecordForm]:
    """The form class of a kind, its pickers filled from the database."""
    sources = await _choices(session, Source, Source.title)
    countries = await _choices(session, Country, Country.name)
    organizations = await _choices(session, Organization, Organization.name)
    own = await _own_fields(kind, session, sources, countries, organizations)
    has_country = "country" in next(spec for spec in RECORD_SPECS if spec.entity_type.value == kind).input.model_fields
    # made after the record's own fields: a form's fields render in the order they were made
    common = {
        "slug": _text("Slug", 120, description="left empty on create: made from the name"),
        **({"country": _picker("Country", countries)} if has_country else {}),
        "description": TextAreaField("Description", [validators.Optional(), validators.Length(max=20_000)],
                                     render_kw={**_INPUT, "rows": 4}),
    }
    collections = {
        "aliases": _rows(AliasRow, "Aliases"),
        "identifiers": _rows(IdentifierRow, "Identifiers"),
        "citations": _rows(_citation_row(sources), "Citations"),
        "version": HiddenField(),
    }
    return type(f"{kind.title()}Form", (RecordForm,), {**own, **common, **collections})


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(row: dict) -> dict:
    return {name: None if _blank(value) else value for name, value in row.items()}


_ROW_KEYS = {"aliases": ("name",), "identifiers": ("scheme", "value"), "citations": ("source", "excerpt")}


def _relation_citations(row: dict) -> list[dict]:
    kept = json.loads(row.pop("more_citations") or "[]")
    source, excerpt, locator = row.pop("source"), row.pop("excerpt"), row.pop("locator")
    first = [{"source": source, "excerpt": excerpt, "locator": locator}] if source or excerpt else []
    return first + (kept if isinstance(kept, list) else [])


def to_fields(form: Form) -> tuple[dict, dict[str, list[int]]]:
    """The service fields of a submitted form, and for each list the form row of each kept row
    (blank rows are dropped, so row 2 of the input may be row 3 of the form)."""
    fields, places = {}, {}
    for field in form:
        if field.name == "version" or field.name == "csrf_token":
            continue
        if isinstance(field, FieldList):
            rows, kept = [], []
            for i, entry in enumerate(field.entries):
                row = _clean(dict(entry.data))
                keys = _ROW_KEYS.get(field.name)
                if keys is None:
                    row["citations"] = _relation_citations(row)
                    if all(value is None or value == [] for value in row.values()):
                        continue
                elif all(row.get(key) is None for key in keys):
                    continue
                rows.append({k: v for k, v in row.items() if v is not None})
                kept.append(i)
            fields[field.name], places[field.name] = rows, kept
        else:
            fields[field.name] = None if _blank(field.data) else field.data
    if fields.get("slug") is None:
        fields.pop("slug", None)  # made from the name on create; kept as it is on edit
    return fields, places


def from_snapshot(snapshot: dict, form_class: type[Form]) -> dict:
    """Form data from a record's snapshot (its service input): relationship rows show their first citation."""
    data = dict(snapshot)
    for field_name, field in form_class.__dict__.items():
        unbound = getattr(field, "field_class", None)
        if not (isinstance(unbound, type) and issubclass(unbound, FieldList)) or field_name in _ROW_KEYS:
            continue
        rows = []
        for row in snapshot.get(field_name, []):
            row = dict(row)
            citations = row.pop("citations", [])
            first = citations[0] if citations else {}
            rows.append({**row, "source": first.get("source"), "excerpt": first.get("excerpt"),
                         "locator": first.get("locator"), "more_citations": json.dumps(citations[1:])})
        data[field_name] = rows
    return data


def errors_to_form(form: Form, errors: list[FieldError], places: dict[str, list[int]]) -> list[str]:
    """Put each error on its form field; the messages that name no field of the form."""
    unplaced = []
    for error in errors:
        parts = error.field.split(".")
        target = form._fields.get(parts[0])
        if target is not None and isinstance(target, FieldList) and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            row_places = places.get(parts[0], [])
            entry = target.entries[row_places[index]] if index < len(row_places) else None
            inner = parts[2] if len(parts) > 2 else None
            if inner == "citations" and entry is not None:
                inner = parts[4] if len(parts) > 4 else "source"  # a relation row's own citation fields
            target = entry.form._fields.get(inner) if entry is not None and inner else None
        if target is None or isinstance(target, (FieldList, HiddenField)):  # hidden: the version
            unplaced.append(str(error))
            continue
        target.errors = [*target.errors, error.message]
    return unplaced
