"""The admin lists' rows in one pass: the markup Django's `items_for_result` renders, with the work
that is the same for every row done once per page.

Django renders each cell through `lookup_field`, `display_for_field`, `format_html` and, for the
linked column, a `reverse()` and `add_preserved_filters` per row, and each row's checkbox through
a widget template. Here each column gets a renderer built once a page (`_column`): choice labels
and related objects are rendered once per distinct value on the page, the change link is a pattern
filled with the pk, the checkbox is Django's markup written out. The markup is Django's, byte for
byte (tests/test_list_rows.py compares every list of our apps with Django's `result_list`).

The one module allowed Django's private admin helpers (`_coerce_field_name`, `_get_non_gfk_field`):
it mirrors `items_for_result`, which uses them. Used by templates/admin/change_list.html's
`result_list` block; a list this does not cover (a popup, list_editable forms, custom
list_display_links) is rendered by Django as before.
"""
from __future__ import annotations

import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import (_coerce_field_name, result_hidden_fields,
                                                           result_headers, results)
from django.contrib.admin import ModelAdmin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (_get_non_gfk_field, display_for_field, display_for_value, quote)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import gettext

from collection.admin_common import PLACEHOLDER

register = template.Library()


#: The checkbox columns whose markup `_checkbox` renders (tests/test_list_rows.py compares them).
CHECKBOXES = (ModelAdmin.action_checkbox,)



def _fast(cl) -> bool:
    """Lists of plain rows with one linked column (the admin's default) or none (list_display_links = None)."""
    if cl.formset or cl.is_popup or cl.to_field:
        return False
    links = cl.list_display_links
    return links is None or bool(links and len(links) == 1 and links[0] in cl.list_display)


def _link(cl):
    """The change URL of a row, from a pattern built once for the page."""
    info = (cl.opts.app_label, cl.opts.model_name)
    try:
        pattern = reverse("admin:%s_%s_change" % info, args=(PLACEHOLDER,), current_app=cl.model_admin.admin_site.name)
    except NoReverseMatch:
        return None
    pattern = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, pattern)
    # Escaped as Django's format_html escapes the whole URL (a preserved filter's "&" becomes "&amp;").
    before, after = (escape(part) for part in pattern.split(PLACEHOLDER, 1))
    pk = cl.lookup_opts.pk.attname

    def link(obj):
        key = getattr(obj, pk)
        # A whole number needs neither quoting nor escaping: its digits.
        return f"{before}{key}{after}" if type(key) is int else f"{before}{escape(quote(key))}{after}"
    return link


def _column(cl, index: int, name):
    """(classes, render(obj) -> safe html) for one column; render returns None to ask Django."""
    empty = cl.model_admin.get_empty_value_display()
    classes = "field-%s" % _coerce_field_name(name, index)
    model_admin = cl.model_admin
    if callable(name) or (hasattr(model_admin, name) and name != "__str__"):
        attr = name if callable(name) else getattr(model_admin, name)
        if name == "action_checkbox":
            classes = "action-checkbox"
            if getattr(type(model_admin), "action_checkbox", None) in CHECKBOXES:
                return classes, _checkbox(cl)
        boolean = getattr(attr, "boolean", False)
        empty = getattr(attr, "empty_value_display", empty)

        def render(obj):
            value = attr(obj)
            if isinstance(value, str):
                if not value.strip():
                    value = ""
                elif not boolean:
                    return value if isinstance(value, SafeData) else escape(value)
            elif isinstance(value, (datetime.date, datetime.time)):
                return None  # Django adds a class for these: let it
            return conditional_escape(display_for_value(value, empty, boolean))
        return classes, render
    try:
        field = _get_non_gfk_field(cl.opts, name)
    except FieldDoesNotExist:
        return classes, None
    if field.auto_created or field.is_relation and not isinstance(field, models.ForeignKey):
        return classes, None
    if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
        classes += " nowrap"
    memo: dict = {}
    if isinstance(field, models.ForeignKey):
        attname, fname = field.attname, field.name

        def render(obj):
            key = getattr(obj, attname)
            if key is None:
                return empty
            if key not in memo:
                memo[key] = conditional_escape(getattr(obj, fname))
            return memo[key]
        return classes, render
    if isinstance(field, (models.DateTimeField, models.DecimalField, models.FloatField)):
        attname = field.attname

        def render(obj):  # per row: values equal as keys can show differently (1.0 and 1.00, zones)
            return conditional_escape(display_for_field(getattr(obj, attname), field, empty))
        return classes, render
    attname = field.attname

    def render(obj):
        value = getattr(obj, attname)
        if isinstance(value, str) and not value.strip():
            value = ""
        try:
            return memo[value]
        except KeyError:
            out = memo[value] = conditional_escape(display_for_field(value, field, empty))
            return out
        except TypeError:  # unhashable
            return conditional_escape(display_for_field(value, field, empty))
    return classes, render


def _checkbox(cl):
    """The admin's per-row action checkbox (Django's widget markup), its label translated once a page."""
    label = gettext("Select this object for an action - {}")
    pk = cl.lookup_opts.pk.attname

    def render(obj):
        key = getattr(obj, pk)
        return (f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" '
                f'value="{key if type(key) is int else escape(key)}" '
                f'class="action-select" aria-label="{label.format(conditional_escape(str(obj)))}">')
    return render


def fast_results(cl) -> list[list[str]]:
    """The page's rows, each the list of its cells' markup (Django's items_for_result, cell for cell),
    escaped: the caller marks them safe."""
    if cl.list_display_links is None:  # no change link (the row's own column links elsewhere)
        link, link_index = None, -1
    else:
        link = _link(cl)
        link_index = list(cl.list_display).index(cl.list_display_links[0])
    columns = []  # (render, the cell's opening markup, its closing markup, whether it links the row)
    for i, name in enumerate(cl.list_display):
        classes, render = _column(cl, i, name)
        tag = "th" if i == link_index else "td"
        columns.append((render, f'<{tag} class="{classes}">', f"</{tag}>", i == link_index and link is not None))
    rows = []
    for obj in cl.result_list:
        cells = []
        for i, (render, opening, closing, links) in enumerate(columns):
            content = None
            if render is not None:
                try:
                    content = render(obj)
                except ObjectDoesNotExist:
                    content = conditional_escape(cl.model_admin.get_empty_value_display())
            if content is None:  # what this does not cover: Django's own way, for this cell
                cells.append(_django_cell(cl, obj, i))
            elif links:  # (each cell plain text: the joined rows are marked safe once)
                cells.append(f'{opening}<a href="{link(obj)}">{content}</a>{closing}')
            else:
                cells.append(f"{opening}{content}{closing}")
        rows.append(cells)
    return rows


def _django_cell(cl, obj, index):
    from django.contrib.admin.templatetags.admin_list import items_for_result

    return list(items_for_result(cl, obj, None))[index]


def fast_result_list(cl):
    """`result_list` with rows from `fast_results` where it applies, for admin/change_list_rows.html."""
    headers = list(result_headers(cl))
    fast = _fast(cl)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [] if fast else list(results(cl)),
        # The table's body as Django's loop over the rows and their cells writes it, made here.
        "rows": SafeString("".join([f"\n\n<tr>{''.join(row)}</tr>\n" for row in fast_results(cl)])) if fast else "",
    }


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    return InclusionAdminNode(parser, token, func=fast_result_list, template_name="change_list_rows.html",
                              takes_context=False)
