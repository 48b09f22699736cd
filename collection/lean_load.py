"""A list page's rows loaded as Django loads them, with each model instance built in one step.

Django's ModelIterable builds a row and each object select_related joins to it through
`Model.from_db` -> `Model.__init__`: two signals sent, a DEFERRED placeholder per field left out
by only(), a setattr per field through its descriptor. A 100-row page of returned files is 500
instances, a fifth of the page's server time. Where that work can only end in the instance's
__dict__ holding the row's values, `LeanModelIterable` fills the __dict__ directly: the same
instances (same attributes, same `_state`, the same related objects cached), a third of the time.

It applies only where the result is provably the same: every model in the query keeps Django's
`__init__` and `from_db`, has no pre_init or post_init receiver, and each of its fields is set
through a descriptor that only stores the value (plain fields, foreign keys' ids, files); no
model inheritance, no prefetched related objects. Anything else is loaded by Django's own
iterable. tests/test_lean_load.py compares the two on every list.
"""
from __future__ import annotations

import operator

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ModelIterable
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

#: Descriptors whose __set__ on a new instance only puts the value in its __dict__ (or which have none).
STORING_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)

_PLAIN: dict[type, bool] = {}


def _plain_model(model) -> bool:
    """Whether building an instance of `model` as Model.__init__ does can only fill its __dict__."""
    try:
        plain = _PLAIN[model]
    except KeyError:
        meta = model._meta
        plain = _PLAIN[model] = (
            model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__
            and model.__new__ is object.__new__ and not meta.parents and not meta.abstract
            and all(type(getattr(model, field.attname, None)) in STORING_DESCRIPTORS for field in meta.concrete_fields))
    # Receivers can be connected at any time: asked each query.
    return plain and not pre_init.has_listeners(model) and not post_init.has_listeners(model)


def _models(model, select_related) -> list | None:
    """The models a query with this select_related builds (None when it asks for every relation)."""
    if select_related is True:
        return None
    found = [model]
    for name, below in (select_related or {}).items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a FilteredRelation's name
            return None
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return None
        found_below = _models(field.related_model, below)
        if found_below is None:
            return None
        found += found_below
    return found


class LeanModelIterable(ModelIterable):
    """ModelIterable (the rows as model instances) with the instances' __dict__ filled directly."""

    def __iter__(self):
        queryset = self.queryset
        models = _models(queryset.model, queryset.query.select_related)
        if queryset._known_related_objects or models is None or not all(_plain_model(m) for m in models):
            yield from super().__iter__()
            return
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        build = _builder(compiler.klass_info, compiler.select, db)
        annotations = list(compiler.annotation_col_map.items())
        for row in compiler.results_iter(results):
            obj = build(row)
            for attr_name, col_pos in annotations:
                setattr(obj, attr_name, row[col_pos])
            yield obj


def _builder(klass_info, select, db, joined=False):
    """row -> the instance klass_info describes, with the related objects below it cached on it
    (Django's RelatedPopulator: a joined object is None where the join found nothing)."""
    model = klass_info["model"]
    indexes = klass_info["select_fields"]
    names = [select[i][0].target.attname for i in indexes]
    values = operator.itemgetter(*indexes) if len(indexes) > 1 else (lambda row, i=indexes[0]: (row[i],))
    pk_at = names.index(model._meta.pk.attname) if joined else None
    new = object.__new__
    related = [(_builder(info, select, db, joined=True), info["local_setter"], info["remote_setter"])
               for info in klass_info.get("related_klass_infos", ())]

    def build(row):
        found = values(row)
        if pk_at is not None and found[pk_at] is None:
            return None
        obj = new(model)
        state = obj.__dict__["_state"] = ModelState()
        state.adding, state.db = False, db
        obj.__dict__.update(zip(names, found))
        for build_related, local_setter, remote_setter in related:
            below = build_related(row)
            local_setter(obj, below)
            if below is not None:
                remote_setter(below, obj)
        return obj
    return build
