"""foi_tracker/auth.py: what a user may do, read in one query, is what Django's ModelBackend says,
and a permission given or taken away counts from the next page on."""
import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collection.roles import RESEARCHERS, VIEWERS
from foi_tracker.auth import PermissionsInOneQueryBackend

pytestmark = pytest.mark.django_db

REQUESTS = "/admin/collection/foirequest/"


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # a new request's user: nothing remembered


def both(user, obj=None):
    ours, djangos = PermissionsInOneQueryBackend(), ModelBackend()
    return ((ours.get_user_permissions(fresh(user), obj), ours.get_group_permissions(fresh(user), obj),
             ours.get_all_permissions(fresh(user), obj)),
            (djangos.get_user_permissions(fresh(user), obj), djangos.get_group_permissions(fresh(user), obj),
             djangos.get_all_permissions(fresh(user), obj)))


def test_the_same_permissions_as_djangos_backend(make_user, django_user_model):
    researcher = make_user("rita", RESEARCHERS)
    viewer = make_user("victor", VIEWERS)
    both_groups = make_user("bea", RESEARCHERS)
    both_groups.groups.add(Group.objects.get(name=VIEWERS))
    own_only = make_user("olly")
    own_only.user_permissions.add(Permission.objects.get(codename="view_campaign"),
                                  Permission.objects.get(codename="change_force"))
    mixed = make_user("max", VIEWERS)
    mixed.user_permissions.add(Permission.objects.get(codename="change_campaign"))
    nobody = make_user("nora")
    superuser = django_user_model.objects.create_superuser("sue", "sue@example.org", "pw-for-tests-only")
    inactive = make_user("ivan", RESEARCHERS, is_active=False)
    for user in (researcher, viewer, both_groups, own_only, mixed, nobody, superuser, inactive):
        ours, djangos = both(user)
        assert ours == djangos, user.username
        assert both(user, obj=object()) == ((set(), set(), set()),) * 2  # no object permissions here
    assert both(own_only)[0][0] == {"collection.view_campaign", "collection.change_force"}
    assert both(researcher)[0][1] and not both(researcher)[0][0]
    assert "collection.change_campaign" in both(mixed)[0][2] and "collection.view_campaign" in both(mixed)[0][2]
    assert not both(inactive)[0][2] and not both(nobody)[0][2]


def test_one_query_for_all_a_pages_permission_checks(make_user):
    user = fresh(make_user("rita", RESEARCHERS))
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("collection.change_foirequest")
        assert user.has_perm("collection.view_campaign")
        assert not user.has_perm("auth.delete_user")
        assert user.has_module_perms("collection")
    assert len(queries) == 1


def test_a_permission_taken_away_counts_from_the_next_page(client, make_user):
    rita = make_user("rita", RESEARCHERS)
    client.force_login(rita)
    assert client.get(REQUESTS).status_code == 200
    assert "record_answer" in client.get(REQUESTS).content.decode()  # a researcher's action
    rita.groups.set([Group.objects.get(name=VIEWERS)])
    page = client.get(REQUESTS)
    assert page.status_code == 200 and "record_answer" not in page.content.decode()
    rita.groups.clear()
    assert client.get(REQUESTS).status_code == 403


def test_a_permission_given_counts_from_the_next_page(client, make_user):
    olly = make_user("olly")
    client.force_login(olly)
    assert client.get(REQUESTS).status_code == 403
    olly.user_permissions.add(Permission.objects.get(codename="view_foirequest"))
    assert client.get(REQUESTS).status_code == 200
    group = Group.objects.create(name="Chasers")
    olly.groups.add(group)
    assert "send_chaser_now" not in client.get(REQUESTS).content.decode()
    group.permissions.add(Permission.objects.get(codename="change_foirequest"))
    assert "send_chaser_now" in client.get(REQUESTS).content.decode()


def test_a_user_made_inactive_or_superuser_counts_from_the_next_page(client, make_user):
    rita = make_user("rita", RESEARCHERS)
    client.force_login(rita)
    assert client.get("/admin/auth/user/").status_code == 403  # users are not a researcher's
    type(rita).objects.filter(pk=rita.pk).update(is_superuser=True)
    assert client.get("/admin/auth/user/").status_code == 200
    type(rita).objects.filter(pk=rita.pk).update(is_superuser=False, is_active=False)
    assert client.get(REQUESTS).status_code == 302  # to the login page


def test_the_user_read_is_djangos(make_user, django_user_model):
    from django.utils import timezone

    rita = make_user("rita", RESEARCHERS, first_name="Rita")
    django_user_model.objects.filter(pk=rita.pk).update(last_login=timezone.now())
    ours, djangos = PermissionsInOneQueryBackend().get_user(rita.pk), ModelBackend().get_user(rita.pk)
    fields = [f.attname for f in django_user_model._meta.concrete_fields]
    assert [getattr(ours, f) for f in fields] == [getattr(djangos, f) for f in fields]
    assert ours.last_login is not None and ours.date_joined.tzinfo is not None
    assert ours.get_session_auth_hash() == djangos.get_session_auth_hash()
    assert PermissionsInOneQueryBackend().get_user(rita.pk + 1000) is None
    django_user_model.objects.filter(pk=rita.pk).update(is_active=False)
    assert PermissionsInOneQueryBackend().get_user(rita.pk) is None is ModelBackend().get_user(rita.pk)
