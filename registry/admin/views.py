"""One sqladmin view per kind of record, the change log and API keys.

Every write goes through registry.services: sqladmin's insert_model / update_model / delete_model
hooks are overridden, so the service validates, versions, logs and indexes as for any writer.
"""

import uuid
from typing import Any, ClassVar

from sqladmin import BaseView, ModelView, expose
from sqladmin.filters import AllUniqueStringValuesFilter, OperationColumnFilter, StaticValuesFilter
from sqlalchemy import Select, func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..models import (
    Agreement,
    ApiKey,
    ChangeKind,
    ChangeLog,
    Country,
    Event,
    Figure,
    Organization,
    Person,
    Project,
    Source,
)
from ..models.enums import AgreementStatus, EventKind, FigureMetric, OrganizationKind, ProjectStatus, Sector
from ..search_text import fold
from ..services import (
    AGREEMENT,
    EVENT,
    FIGURE,
    ORGANIZATION,
    PERSON,
    PROJECT,
    SOURCE,
    Author,
    EntitySpec,
    ServiceError,
    api_keys,
    create,
    delete,
    restore,
    update,
)
from ..services.changes import latest_change
from .auth import current_actor
from .forms import errors_to_form, form_for, from_snapshot, submitted_form, to_fields
from .records import details_of, partial_date_label, search_condition

__all__ = ["ENTITY_VIEWS", "ApiKeysView", "ChangeLogView", "CountryView"]

MAX_SEARCH_LENGTH = 200


class SaveRefused(Exception):
    """A write the services refused; its field errors are already on the form. Shown above it."""


class DeletedFilter:
    """Live records only unless asked: deleted ones are tombstones, restorable from their page."""

    has_operator = False
    template = "sqladmin/filters/lookup_filter.html"
    title = "Deleted"
    parameter_name = "deleted"
    default_value = "live"

    async def lookups(self, request, model, run_query) -> list[tuple[str, str]]:
        return [("live", "Live"), ("deleted", "Deleted"), ("all", "All")]

    async def get_filtered_query(self, query: Select, value: Any, model: Any) -> Select:
        if value == "all":
            return query
        if value == "deleted":
            return query.where(model.deleted_at.is_not(None))
        return query.where(model.deleted_at.is_(None))


def _enum_filter(column, enum) -> StaticValuesFilter:
    return StaticValuesFilter(column, values=[(m.value, m.value.replace("_", " ")) for m in enum])


def _partial_date_column(name: str):
    return lambda record, _attribute: partial_date_label(getattr(record, name))


class EntityView(ModelView):
    """A kind of record: list with folded search, filters, sort, CSV; details with everything linked."""

    spec: ClassVar[EntitySpec]
    page_size = 25
    page_size_options = [25, 50, 100]
    export_types = ["csv"]
    export_max_rows = 10_000
    details_template = "registry_admin/details.html"
    edit_template = "registry_admin/edit.html"
    create_template = "registry_admin/create.html"

    def __init__(self) -> None:
        self.column_searchable_list = [getattr(self.model, self.spec.name_field)]
        self.column_formatters = {name: _partial_date_column(name) for name in self.spec.partial_dates}
        super().__init__()

    def search_placeholder(self) -> str:
        return "Name or alias, any spelling"

    def search_query(self, stmt: Select, term: str) -> Select:
        # the folding of the GraphQL search: "Nazarbaev", "Назарбаев" and "Nazarbayev" meet
        folded = fold(term[:MAX_SEARCH_LENGTH])
        return stmt.where(self.model.id.in_(search_condition(self.spec.entity_type, folded))) if folded else stmt

    def get_filters(self):
        return [DeletedFilter(), *super().get_filters()]

    async def details_context(self, request: Request) -> dict[str, Any]:
        async with self.session_maker() as session:
            entity = await session.get(self.model, uuid.UUID(request.path_params["pk"]))
            if entity is None:
                raise HTTPException(404)
            return {"record": await details_of(session, self.spec, entity)}

    # writes, through the services

    async def scaffold_form(self, rules=None):
        async with self.session_maker() as session:
            return await form_for(self.spec.entity_type.value, session)

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        async with self.session_maker() as session:
            latest = await latest_change(session, self.spec.kind, obj.id)
            form_class = await form_for(self.spec.entity_type.value, session)
        return {**from_snapshot(latest[1] if latest else {}, form_class), "version": obj.version}

    async def _write(self, request: Request, operation) -> Any:
        form = submitted_form()
        fields, places = to_fields(form)
        author = Author(current_actor(request), request.headers.get("x-request-id"))
        try:
            async with self.session_maker() as session, session.begin():
                result = await operation(session, fields, author)
        except ServiceError as exc:
            unplaced = errors_to_form(form, exc.errors, places)
            raise SaveRefused("Nothing was saved: " + ("; ".join(unplaced) or "fix the fields marked below")) from None
        return result.entity

    async def insert_model(self, request: Request, data: dict) -> Any:
        return await self._write(request, lambda s, fields, author: create(s, self.spec, fields, author=author))

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        version = submitted_form().version.data
        if not str(version or "").isdigit():
            raise SaveRefused("Nothing was saved: the form lacks the version it was read at; reload the page")
        return await self._write(request, lambda s, fields, author: update(
            s, self.spec, uuid.UUID(pk), fields, expected_version=int(version), author=author))

    async def delete_model(self, request: Request, pk: Any) -> None:
        author = Author(current_actor(request), request.headers.get("x-request-id"))
        async with self.session_maker() as session, session.begin():
            entity = await session.get(self.model, uuid.UUID(str(pk)))
            await delete(session, self.spec, entity.id, expected_version=entity.version, author=author)

    @expose("/restore/{pk}", methods=["POST"])
    async def restore_record(self, request: Request) -> Response:
        """sqladmin's actions are GET links; a restore is a write, so it is a POST (CSRF-checked)."""
        form = await request.form()
        version = str(form.get("version", ""))
        author = Author(current_actor(request), request.headers.get("x-request-id"))
        entity_id = uuid.UUID(request.path_params["pk"])
        try:
            async with self.session_maker() as session, session.begin():
                await restore(session, self.spec, entity_id,
                              expected_version=int(version) if version.isdigit() else None, author=author)
        except ServiceError as exc:
            raise HTTPException(409, str(exc)) from None
        return RedirectResponse(request.url_for("admin:details", identity=self.identity, pk=str(entity_id)), 303)


class OrganizationView(EntityView, model=Organization):
    spec = ORGANIZATION
    icon = "fa-solid fa-building"
    column_list = [Organization.name, Organization.kind, Organization.country_code, Organization.city,
                   Organization.founded, Organization.version]
    column_sortable_list = [Organization.name, Organization.kind, Organization.founded_lower, Organization.version]
    column_default_sort = [(Organization.name, False)]
    column_filters = [_enum_filter(Organization.kind, OrganizationKind),
                      AllUniqueStringValuesFilter(Organization.country_code, title="Country"),
                      OperationColumnFilter(Organization.founded_lower, title="Founded (from)")]


class PersonView(EntityView, model=Person):
    spec = PERSON
    name_plural = "People"
    icon = "fa-solid fa-user"
    column_list = [Person.display_name, Person.country_code, Person.version, Person.updated_at]
    column_sortable_list = [Person.display_name, Person.updated_at]
    column_default_sort = [(Person.display_name, False)]
    column_filters = [AllUniqueStringValuesFilter(Person.country_code, title="Country")]


class ProjectView(EntityView, model=Project):
    spec = PROJECT
    icon = "fa-solid fa-diagram-project"
    column_list = [Project.title, Project.kind, Project.sector, Project.status, Project.planned, Project.actual]
    column_sortable_list = [Project.title, Project.status, Project.actual_lower]
    column_default_sort = [(Project.title, False)]
    column_filters = [_enum_filter(Project.status, ProjectStatus), _enum_filter(Project.sector, Sector),
                      AllUniqueStringValuesFilter(Project.country_code, title="Country"),
                      OperationColumnFilter(Project.actual_lower, title="Started (actual)")]


class AgreementView(EntityView, model=Agreement):
    spec = AGREEMENT
    icon = "fa-solid fa-file-signature"
    column_list = [Agreement.title, Agreement.kind, Agreement.status, Agreement.signed, Agreement.in_force]
    column_sortable_list = [Agreement.title, Agreement.status, Agreement.signed_lower]
    column_default_sort = [(Agreement.signed_lower, True)]
    column_filters = [_enum_filter(Agreement.status, AgreementStatus),
                      OperationColumnFilter(Agreement.signed_lower, title="Signed")]


class EventView(EntityView, model=Event):
    spec = EVENT
    icon = "fa-solid fa-calendar"
    column_list = [Event.title, Event.kind, Event.date, Event.country_code, Event.city]
    column_sortable_list = [Event.title, Event.kind, Event.date_lower]
    column_default_sort = [(Event.date_lower, True)]
    column_filters = [_enum_filter(Event.kind, EventKind), AllUniqueStringValuesFilter(Event.country_code, title="Country"),
                      OperationColumnFilter(Event.date_lower, title="Date")]


class FigureView(EntityView, model=Figure):
    spec = FIGURE
    icon = "fa-solid fa-chart-line"
    column_list = [Figure.metric, Figure.value, Figure.unit, Figure.period, Figure.original]
    column_sortable_list = [Figure.metric, Figure.value, Figure.period_lower]
    column_default_sort = [(Figure.period_lower, True)]
    column_filters = [_enum_filter(Figure.metric, FigureMetric), OperationColumnFilter(Figure.period_lower, title="Period")]


class SourceView(EntityView, model=Source):
    spec = SOURCE
    icon = "fa-solid fa-book"
    column_list = [Source.title, Source.author, Source.publication, Source.published, Source.file]
    column_sortable_list = [Source.title, Source.published_lower]
    column_default_sort = [(Source.title, False)]


class CountryView(ModelView, model=Country):
    name_plural = "Countries"
    icon = "fa-solid fa-flag"
    can_create = can_edit = can_delete = False
    column_list = [Country.code, Country.name]
    column_searchable_list = [Country.name, Country.code]
    column_sortable_list = [Country.code, Country.name]
    column_default_sort = [(Country.name, False)]
    export_types = ["csv"]


def _changes_side_by_side(entry: ChangeLog, _attribute) -> Any:
    from markupsafe import Markup, escape

    rows = "".join(
        f"<tr><th>{escape(name)}</th><td class='before'>{escape(change.get('before'))}</td>"
        f"<td class='after'>{escape(change.get('after'))}</td></tr>"
        for name, change in (entry.changes or {}).items()
    )
    return Markup(f"<table class='table table-sm changes'><tr><th>field</th><th>before</th><th>after</th></tr>{rows}</table>")


class ChangeLogView(ModelView, model=ChangeLog):
    """The change log, read only."""

    name = "Change"
    name_plural = "Change log"
    icon = "fa-solid fa-clock-rotate-left"
    can_create = can_edit = can_delete = False
    page_size = 50
    page_size_options = [50, 100]
    export_types = ["csv"]
    export_max_rows = 10_000
    column_list = [ChangeLog.id, ChangeLog.changed_at, ChangeLog.entity_type, ChangeLog.action, ChangeLog.entity_id,
                   ChangeLog.version, ChangeLog.actor]
    column_details_list = [ChangeLog.id, ChangeLog.changed_at, ChangeLog.entity_type, ChangeLog.entity_id,
                           ChangeLog.action, ChangeLog.version, ChangeLog.actor, ChangeLog.request_id, ChangeLog.changes]
    column_formatters_detail = {ChangeLog.changes: _changes_side_by_side}
    column_sortable_list = [ChangeLog.id, ChangeLog.changed_at]
    column_default_sort = [(ChangeLog.id, True)]
    column_searchable_list = [ChangeLog.actor]
    column_filters = [
        _enum_filter(ChangeLog.entity_type, ChangeKind),
        AllUniqueStringValuesFilter(ChangeLog.actor, title="Actor"),
        OperationColumnFilter(ChangeLog.entity_id, title="Record id"),
        OperationColumnFilter(ChangeLog.changed_at, title="Time"),
    ]


class ApiKeysView(BaseView):
    """API keys: list, create (the key shown once), revoke; through registry.services.api_keys."""

    name = "API keys"
    icon = "fa-solid fa-key"

    @expose("/api-keys", methods=["GET", "POST"], identity="api-keys")
    async def api_keys_page(self, request: Request) -> Response:
        context: dict[str, Any] = {}
        if request.method == "POST":
            form = await request.form()
            try:
                async with self._admin_ref.session_maker() as session, session.begin():
                    if form.get("revoke"):
                        revoked = await api_keys.revoke_api_key(session, str(form["revoke"])[:100])
                        context["notice"] = f"API key {revoked.name!r} revoked."
                    else:
                        scopes = [str(s) for s in form.getlist("scopes")][:5]
                        created, key = await api_keys.create_api_key(session, str(form.get("name", ""))[:100], scopes)
                        context["new_key"] = (created.name, key)
            except ServiceError as exc:
                context["error"] = str(exc)
        async with self._admin_ref.session_maker() as session:
            context["keys"] = await api_keys.list_api_keys(session)
        response = await self.templates.TemplateResponse(request, "registry_admin/api_keys.html", context)
        response.headers["Cache-Control"] = "no-store"  # the new key is on this page once
        return response


ENTITY_VIEWS = [OrganizationView, PersonView, ProjectView, AgreementView, EventView, FigureView, SourceView]
