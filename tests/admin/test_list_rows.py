"""The admin lists' rows rendered in one pass (collection/templatetags/fast_admin_list.py) are the
markup Django's own items_for_result renders, cell for cell, on every list of our apps, with
every filter the query-count test uses."""
import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result

from collection.templatetags.fast_admin_list import _fast, fast_results
from tests.admin.test_query_counts import build, list_urls

pytestmark = pytest.mark.django_db


def test_fast_rows_are_djangos_rows(researcher_client, researcher):
    from django.contrib import admin
    from django.urls import reverse

    build(3, 4, researcher, extras=6)
    beat = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry
            if m._meta.app_label == "django_celery_beat"]  # the schedule's own lists go through it too
    assert beat
    checked = no_link = 0
    for url in list_urls() + beat:
        response = researcher_client.get(url)
        cl = (response.context or {}).get("cl") if not response.streaming else None
        if cl is None:
            continue
        if cl.formset:  # editable rows (forces): Django's own rows
            assert not _fast(cl), url
            continue
        assert _fast(cl), url
        django_rows = [[str(cell) for cell in items_for_result(cl, obj, None)] for obj in cl.result_list]
        fast_rows = [[str(cell) for cell in row] for row in fast_results(cl)]
        assert fast_rows == django_rows, url
        for row in fast_rows:  # and the page shows them
            assert "".join(row) in response.content.decode(), url
        checked += len(fast_rows)
        no_link += cl.list_display_links is None and len(fast_rows)
    assert checked > 200
    assert no_link  # the campaigns' rows link their workspace, not the change form, and are compared too


def test_lists_django_would_render_differently_are_left_to_django(researcher_client, researcher):
    build(1, 0, researcher, extras=0)
    response = researcher_client.get("/admin/collection/force/")  # list_editable: forms in the rows
    assert not _fast(response.context["cl"]) and 'name="form-0-foi_email"' in response.content.decode()
    popup = researcher_client.get("/admin/collection/force/?_popup=1&_to_field=id")
    assert not _fast(popup.context["cl"]) and "data-popup-opener" in popup.content.decode()


def test_related_filters_are_djangos(researcher_client, researcher):
    """collection/admin_common.py's related filters (choices as (key, label) pairs, links from one
    pattern) yield what Django's RelatedFieldListFilter and RelatedOnlyFieldListFilter yield, on
    every list, with a choice made or not."""
    from django.apps import apps
    from django.contrib.admin import RelatedFieldListFilter, RelatedOnlyFieldListFilter

    from collection.admin_common import LABEL_FIELDS, PLACEHOLDER, RelatedListFilter, RelatedOnlyListFilter
    from collection.forces.models import Force
    from collection.requests.models import Campaign

    build(3, 4, researcher, extras=6)
    first = Campaign.objects.filter(slug__startswith="synth-").order_by("slug").first()
    picked = [f"/admin/collection/foirequest/?campaign__id__exact={first.pk}&status=sent",
              f"/admin/collection/foirequest/?force__id__exact={Force.objects.get(force_id='kent').pk}",
              f"/admin/collection/campaign/?owner__id__exact={researcher.pk}", "/admin/collection/campaign/?o=2",
              f"/admin/collection/reminderlog/?campaign__id__exact={first.pk}&q=a%26b",
              f"/admin/collection/foirequest/?q={PLACEHOLDER}"]  # a search holding the links' placeholder
    compared = 0
    for url in list_urls() + picked:
        response = researcher_client.get(url)
        assert response.status_code == 200 or url not in picked, url
        cl = (response.context or {}).get("cl") if not response.streaming else None
        for spec in (cl.filter_specs if cl is not None else []):
            if not isinstance(spec, RelatedListFilter):
                continue
            djangos_class = RelatedOnlyFieldListFilter if isinstance(spec, RelatedOnlyListFilter) \
                else RelatedFieldListFilter
            djangos = djangos_class(spec.field, response.wsgi_request, cl.get_filters_params(), cl.model,
                                    cl.model_admin, spec.field_path)
            assert spec.lookup_choices == djangos.lookup_choices, (url, spec.title)

            def shown(choices):
                return [{**choice, "display": str(choice["display"])} for choice in choices]
            assert shown(spec.choices(cl)) == shown(djangos.choices(cl)), (url, spec.title)
            compared += 1
    assert compared >= 12
    for label, column in LABEL_FIELDS.items():  # each model's __str__ is that column
        objects = list(apps.get_model(label)._default_manager.all())
        assert objects and all(str(obj) == getattr(obj, column) for obj in objects), label


def test_value_filters_read_together_are_djangos(researcher_client, researcher):
    """The returned files' layout and format filters (NamedBlankValuesFilter) read their values in
    one query, and they are the values, in the order, Django's AllValuesFieldListFilter reads
    column by column: blank ones, mixed case, filtered list or not."""
    from django.contrib.admin import AllValuesFieldListFilter
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from collection.admin_common import NamedBlankValuesFilter
    from collection.returns.models import ReturnedFile

    build(1, 0, researcher, extras=7)
    pairs = [("long", "csv"), ("", "XLSX"), ("Wide", ""), ("pivot", "xlsx"), ("long", "Csv"), ("_x", "ods"),
             ("a b", "xlsx")]
    for pk, (layout, file_format) in zip(ReturnedFile.objects.order_by("pk").values_list("pk", flat=True), pairs):
        ReturnedFile.objects.filter(pk=pk).update(layout=layout, file_format=file_format)
    for url in ("/admin/collection/returnedfile/", "/admin/collection/returnedfile/?layout=long",
                "/admin/collection/returnedfile/?file_format=&q=return"):
        with CaptureQueriesContext(connection) as ctx:
            response = researcher_client.get(url)
        cl = response.context["cl"]
        specs = [spec for spec in cl.filter_specs if isinstance(spec, NamedBlankValuesFilter)]
        assert [spec.field.name for spec in specs] == ["layout", "file_format"]
        for spec in specs:
            djangos = AllValuesFieldListFilter(spec.field, response.wsgi_request, cl.get_filters_params(), cl.model,
                                               cl.model_admin, spec.field_path)
            assert list(spec.lookup_choices) == list(djangos.lookup_choices), (url, spec.field.name)
            named = [{**c, "display": c["display"] or "(none)"} for c in djangos.choices(cl)]  # the blank one named
            assert list(spec.choices(cl)) == named, (url, spec.field.name)
        assert "" in specs[0].lookup_choices and "XLSX" in specs[1].lookup_choices
        assert ">(none)</a>" in response.content.decode()
        selects = [(q["sql"], q["sql"].split(" FROM ")[0]) for q in ctx.captured_queries]
        reading = [sql for sql, select in selects  # the queries reading either column's distinct values
                   if "DISTINCT" in select and ('"layout"' in select or '"file_format"' in select)]
        assert len(reading) == 1 and '"layout"' in reading[0] and '"file_format"' in reading[0], reading


def test_the_results_table_is_djangos(researcher_client, researcher):
    """templates/admin/change_list_rows.html with the rows joined in Python writes the table
    Django's `result_list` tag writes (headers, body, whitespace), on every list."""
    from django.template import Context, engines

    engine = engines["django"].engine
    djangos = engine.from_string("{% load admin_list %}{% result_list cl %}")
    ours = engine.from_string("{% load fast_admin_list %}{% fast_result_list cl %}")
    build(3, 4, researcher, extras=6)
    compared = 0
    for url in list_urls() + ["/admin/collection/foirequest/?o=-2.5", "/admin/collection/foirequest/?q=nothing-at-all"]:
        response = researcher_client.get(url)
        cl = (response.context or {}).get("cl") if not response.streaming else None
        if cl is None:
            continue
        table = ours.render(Context({"cl": cl, "opts": cl.opts}))
        assert table == djangos.render(Context({"cl": cl, "opts": cl.opts})), url
        assert table in response.content.decode(), url
        compared += len(cl.result_list) > 0
    assert compared > 20


def test_fast_rows_follow_the_language(researcher_client, researcher):
    """The rows stay Django's when the language changes between pages: each language writes its
    own dates."""
    from django.utils import translation

    build(2, 0, researcher, extras=3)
    response = researcher_client.get("/admin/collection/requestevent/")
    cl = response.context["cl"]
    seen = set()
    for language in ("en-gb", "fr", "nl", "en-gb"):  # French and Dutch write dates alike, in their own words
        with translation.override(language):
            ours = [[str(cell) for cell in row] for row in fast_results(cl)]
            assert ours == [[str(cell) for cell in items_for_result(cl, obj, None)] for obj in cl.result_list]
            seen.add(ours[0][0])  # the first row's date, as each language writes it
    assert len(seen) == 3


def test_fast_rows_follow_the_time_zone(researcher_client, researcher):
    """The rows stay Django's in every time zone: one instant shows as each zone's own time."""
    from django.utils import timezone

    build(2, 0, researcher, extras=3)
    response = researcher_client.get("/admin/collection/requestevent/")
    cl = response.context["cl"]
    seen = set()
    for zone in ("Europe/London", "Asia/Tokyo", "America/New_York", "Europe/London"):
        with timezone.override(zone):
            ours = [[str(cell) for cell in row] for row in fast_results(cl)]
            assert ours == [[str(cell) for cell in items_for_result(cl, obj, None)] for obj in cl.result_list]
            seen.add(ours[0][-1])  # the first row's time recorded
    assert len(seen) == 3


def test_row_links_keep_a_typed_search_escaped_as_django_does(researcher_client, researcher):
    """The preserved filters in each row's link hold what the researcher typed: escaped as Django's
    format_html escapes the link, whatever the search or filters hold."""
    from django.urls import reverse

    build(2, 3, researcher, extras=2)
    base = reverse("admin:collection_foirequest_changelist")
    compared = 0
    for query in ({"q": ""}, {"o": "-2", "status__exact": "sent"}, {"q": "a&b\"<'>"}, {"o": "1", "q": "%&amp;"}):
        response = researcher_client.get(base, query)
        cl = response.context["cl"]
        django_rows = [[str(cell) for cell in items_for_result(cl, obj, None)] for obj in cl.result_list]
        assert [[str(cell) for cell in row] for row in fast_results(cl)] == django_rows, query
        compared += len(django_rows)
        assert "<'>" not in response.content.decode().split("<tbody>", 1)[-1], query
    assert compared
