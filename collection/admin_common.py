"""Pieces every admin module of the collection app uses (kept apart so they import no admin module)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Value
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from .forms import DATE_FIELD_OVERRIDES
from .validation import ServiceError

#: A key no row holds, put where a row's pk goes in a URL or a query string, then replaced by each
#: row's: digits, so an <int:...> converter accepts it and urlencode keeps it as it is.
PLACEHOLDER = "9182736450918273645"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 request', '44 requests': messages never say '1 requests'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


class DatePickers:
    """Every date in the admin's forms is typed with the browser's date picker (collection/forms.py)."""

    formfield_overrides = {models.DateField: DATE_FIELD_OVERRIDES}


class LabelledFields:
    """Form mixin: every field's widget gets an accessible name. Tabular inlines and list_editable
    columns show a heading over the column, not a label per input (WCAG 2.2: axe's "label" rule)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        whose = str(self.instance) if getattr(self.instance, "pk", None) else "new"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", f"{field.label or name}: {whose}")


class LabelledModelForm(LabelledFields, forms.ModelForm):
    pass


class NamedBlankValuesFilter(admin.AllValuesFieldListFilter):
    """The values found in a column, the empty one named: a filter link with no text cannot be read.
    A list with several such filters on columns of one type (a file's layout and format) reads
    their values in one query, a request's filters sharing it (`distinct_values`)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        together = self.read_together(field, request, model, model_admin)
        if len(together) > 1:
            self.lookup_choices = distinct_values(request, model_admin, tuple(together))[field.name]

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": "(none)"} if choice.get("display") == "" else choice

    @staticmethod
    def read_together(field, request, model, model_admin) -> list[str]:
        """The list's columns filtered by this class whose values one query can read with this one's:
        the model's own fields of the same type."""
        names = []
        for entry in model_admin.get_list_filter(request):
            if isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[1], type) and \
                    issubclass(entry[1], NamedBlankValuesFilter) and "__" not in entry[0]:
                try:
                    other = model._meta.get_field(entry[0])
                except FieldDoesNotExist:
                    continue
                if other.concrete and not other.is_relation and other.get_internal_type() == field.get_internal_type():
                    names.append(other.name)
        return names if field.name in names else []


def distinct_values(request, model_admin, names: tuple[str, ...]) -> dict[str, list]:
    """{column: its distinct values in the admin's rows, in the database's order} for these columns,
    read in one query (a UNION ALL of Django's per-column `SELECT DISTINCT ... ORDER BY`) once a request."""
    asked = request.__dict__.setdefault("_distinct_values", {})
    key = (model_admin, names)
    if key not in asked:
        rows = model_admin.get_queryset(request).order_by()
        parts = [rows.annotate(column_index=Value(i)).distinct().values_list("column_index", name)
                 for i, name in enumerate(names)]
        found = {name: [] for name in names}
        for i, value in parts[0].union(*parts[1:], all=True).order_by("column_index", names[0]):
            found[names[i]].append(value)
        asked[key] = found
    return asked[key]


def showing_the_list(model_admin, request) -> bool:
    """Whether the request is for the model's list page itself (not an action posted from it, nor
    another page): there a `get_queryset` may load only the fields its columns show."""
    match = request.resolver_match
    opts = model_admin.opts
    return request.method == "GET" and match is not None and \
        match.url_name == f"{opts.app_label}_{opts.model_name}_changelist"


#: The one column each model's __str__ shows, for the related filters' choices below.
LABEL_FIELDS = {"collection.campaign": "title", "collection.force": "name", "auth.user": "username"}


class RelatedListFilter(admin.RelatedFieldListFilter):
    """Django's filter on a related object (50 campaigns, 44 forces), its choices read as (key,
    label) pairs instead of model instances, and each choice's link made from one pattern instead
    of urlencoding the page's parameters again per choice. What it yields is what Django's yields
    (tests/test_list_rows.py); with facets shown it is Django's."""

    def field_choices(self, field, request, model_admin):
        return self._choices(field, request, model_admin, field.get_limit_choices_to())

    def _choices(self, field, request, model_admin, limit_choices_to):
        label = LABEL_FIELDS.get(field.related_model._meta.label_lower)
        if label is None:
            return field.get_choices(include_blank=False, limit_choices_to=limit_choices_to,
                                     ordering=self.field_admin_ordering(field, request, model_admin))
        choices = field.related_model._default_manager.complex_filter(limit_choices_to)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            choices = choices.order_by(*ordering)
        return list(choices.values_list(field.remote_field.get_related_field().attname, label))

    def choices(self, changelist):
        if changelist.add_facets:
            yield from super().choices(changelist)
            return
        yield {
            "selected": self.lookup_val is None and not self.lookup_val_isnull,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg, self.lookup_kwarg_isnull]),
            "display": gettext("All"),
        }
        # The pattern is used only where the placeholder is the choice's (never when a search
        # or another filter happens to hold those digits too).
        parts = changelist.get_query_string({self.lookup_kwarg: PLACEHOLDER}, [self.lookup_kwarg_isnull]).split(
            PLACEHOLDER)
        for key, label in self.lookup_choices:
            yield {
                "selected": self.lookup_val is not None and str(key) in self.lookup_val,
                "query_string": f"{parts[0]}{key}{parts[1]}" if len(parts) == 2 and type(key) is int else
                changelist.get_query_string({self.lookup_kwarg: key}, [self.lookup_kwarg_isnull]),
                "display": label,
            }
        if self.include_empty_choice:
            yield {
                "selected": bool(self.lookup_val_isnull),
                "query_string": changelist.get_query_string({self.lookup_kwarg_isnull: "True"}, [self.lookup_kwarg]),
                "display": self.empty_value_display,
            }


class RelatedOnlyListFilter(RelatedListFilter):
    """RelatedListFilter over the related objects the list's rows name, as Django's
    RelatedOnlyFieldListFilter."""

    def field_choices(self, field, request, model_admin):
        in_rows = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        return self._choices(field, request, model_admin, {"pk__in": in_rows})


class ReadOnlyAdminMixin:
    """For records the services write (timelines, logs): staff read and filter them, nobody edits."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def run_action_form(modeladmin, request, queryset, form_class, title, apply):
    """Show a small form for an admin action; on a valid POST call `apply(form.cleaned_data)`."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            result = apply(form.cleaned_data)
        except ServiceError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
            return None
        if result:
            modeladmin.message_user(request, result, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form, "queryset": queryset,
        "action": request.POST.get("action"), "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/collection/action_form.html", context)


