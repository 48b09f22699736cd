"""The list pages' rows built by LeanModelIterable (collection/lean_load.py) are the instances
Django's ModelIterable builds: the same attributes, state and related objects, on every list of
our apps with every filter; and where it cannot be sure (a receiver, select_related() of every
relation) Django builds them."""
from unittest import mock

import pytest
from django.db.models import Value
from django.db.models.functions import Upper
from django.db.models.query import ModelIterable
from django.db.models.signals import post_init

from collection.admin_common import LeanChangeList
from collection.lean_load import LeanModelIterable
from collection.forces.models import Force
from collection.requests.models import Campaign, FoiRequest
from collection.returns.models import ReturnedFile
from tests.test_query_counts import build, list_urls

pytestmark = pytest.mark.django_db


def described(obj):
    """Everything an instance holds: its class, fields, state and the related objects cached on it."""
    if obj is None:
        return None
    state = obj._state
    return (type(obj), {k: v for k, v in obj.__dict__.items() if k != "_state"}, list(obj.__dict__)[0],
            state.db, state.adding, obj.get_deferred_fields(),
            {name: described(related) for name, related in state.fields_cache.items()})


def loaded(queryset, iterable):
    queryset = queryset._clone()
    queryset._iterable_class = iterable
    return [described(obj) for obj in queryset]


def djangos_iterable_refused():
    return mock.patch.object(ModelIterable, "__iter__", side_effect=AssertionError("Django's ModelIterable used"))


def test_every_lean_list_loads_djangos_instances(researcher_client, researcher):
    build(3, 4, researcher, extras=6)
    ReturnedFile.objects.filter(pk=ReturnedFile.objects.order_by("pk").values("pk")[:1]).update(uploaded_by=None)
    Campaign.objects.filter(pk=Campaign.objects.order_by("pk").values("pk")[:1]).update(owner=None)
    checked, lists = 0, set()
    for url in list_urls():
        response = researcher_client.get(url)
        cl = (response.context or {}).get("cl") if not response.streaming else None
        if not isinstance(cl, LeanChangeList):
            continue
        assert cl.result_list._iterable_class is LeanModelIterable, url
        djangos = loaded(cl.result_list, ModelIterable)
        with djangos_iterable_refused():
            lean = loaded(cl.result_list, LeanModelIterable)
        assert lean == djangos, url
        checked += len(lean)
        lists.add(cl.model)
    assert checked > 200 and {FoiRequest, Campaign, ReturnedFile} <= lists
    # a joined row that is not there (no uploader, no owner) is None, as Django has it
    files = ReturnedFile.objects.select_related("request__force", "uploaded_by").order_by("pk")
    campaigns = Campaign.objects.select_related("owner").only("title", "owner__username").order_by("pk")
    for queryset in (files, campaigns):
        with djangos_iterable_refused():
            lean = loaded(queryset, LeanModelIterable)
        assert lean == loaded(queryset, ModelIterable)
        assert None in [row[-1].get("uploaded_by", row[-1].get("owner")) for row in lean]


def test_rows_not_provably_the_same_are_djangos(researcher):
    build(1, 0, researcher, extras=0)
    rows = FoiRequest.objects.select_related("force", "campaign").order_by("pk")[:5]
    seen = []

    def receiver(sender, instance, **kwargs):  # a receiver may change the instance: it must be called
        seen.append(instance.pk)
        instance.seen = True
    post_init.connect(receiver, sender=Force)
    try:
        assert [r.force.seen for r in lean_objects(rows)] == [True] * 5 and len(seen) == 5
    finally:
        post_init.disconnect(receiver, sender=Force)
    every_relation = FoiRequest.objects.select_related().order_by("pk")[:5]
    with djangos_iterable_refused(), pytest.raises(AssertionError, match="Django's ModelIterable used"):
        lean_objects(every_relation)
    assert loaded(every_relation, LeanModelIterable) == loaded(every_relation, ModelIterable)


def test_annotations_are_set_as_django_sets_them(researcher):
    build(1, 0, researcher, extras=0)
    rows = FoiRequest.objects.select_related("force").annotate(n=Value(1), force_upper=Upper("force__name"))
    with djangos_iterable_refused():
        lean = lean_objects(rows)
    assert [(r.n, r.force_upper) for r in lean] == [(1, r.force.name.upper()) for r in lean] and len(lean) > 40
    assert loaded(rows, LeanModelIterable) == loaded(rows, ModelIterable)


def lean_objects(queryset):
    queryset = queryset._clone()
    queryset._iterable_class = LeanModelIterable
    return list(queryset)
