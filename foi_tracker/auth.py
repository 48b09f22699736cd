"""Who is logged in and what they may do, read in two plain queries a page instead of three ORM ones.

Every admin page asks what its user may do (the site, the model, each action, each button).
Django's ModelBackend reads the user's row, then the user's own permissions, then their groups'
permissions: three ORM queries, built and compiled afresh on every page (a sixth of an empty list
page's server time). This backend reads the row with a plain SELECT and both sets of permissions
with one more, the first time a page asks, and otherwise answers exactly as ModelBackend does:
nothing is kept between requests, so a permission granted or taken away counts from the next page.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

_READ = "_permissions_read_in_one_query"  # (own, from groups), kept on the user object of one request


def _permissions_sql(user_model, quote) -> str:
    """The user's own permissions (0) and their groups' (1), as (which, app_label, codename) rows."""
    own = user_model._meta.get_field("user_permissions")
    groups = user_model._meta.get_field("groups")
    group_perms = Group._meta.get_field("permissions")
    permission, content_type = quote(Permission._meta.db_table), quote(ContentType._meta.db_table)
    select = (f"SELECT {{which}}, ct.{quote('app_label')}, p.{quote('codename')} FROM {permission} p "
              f"JOIN {content_type} ct ON ct.{quote('id')} = p.{quote('content_type_id')} ")
    return (
        select.format(which=0)
        + f"JOIN {quote(own.m2m_db_table())} up ON up.{quote(own.m2m_reverse_name())} = p.{quote('id')} "
          f"WHERE up.{quote(own.m2m_column_name())} = %s "
        + "UNION ALL "
        + select.format(which=1)
        + f"JOIN {quote(group_perms.m2m_db_table())} gp "
          f"ON gp.{quote(group_perms.m2m_reverse_name())} = p.{quote('id')} "
          f"JOIN {quote(groups.m2m_db_table())} ug ON ug.{quote(groups.m2m_reverse_name())} = "
          f"gp.{quote(group_perms.m2m_column_name())} "
          f"WHERE ug.{quote(groups.m2m_column_name())} = %s"
    )


class PermissionsInOneQueryBackend(ModelBackend):
    """ModelBackend, its two permission queries made one (for users with `user_permissions` and
    `groups`, as django.contrib.auth's User has), and the user read with a plain SELECT of its
    row. Superusers and inactive users are ModelBackend's."""

    def get_user(self, user_id):
        # ModelBackend's get_user, the row read by the user's primary key without the ORM's query
        # building (the default manager's raw(): field conversions kept).
        user_model = get_user_model()
        manager = user_model._default_manager
        connection = connections[router.db_for_read(user_model)]
        quote = connection.ops.quote_name
        opts = user_model._meta
        columns = ", ".join(quote(field.column) for field in opts.concrete_fields)
        rows = list(manager.raw(f"SELECT {columns} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s",
                                [user_id]))
        if not rows:
            return None
        return rows[0] if self.user_can_authenticate(rows[0]) else None

    def _read(self, user_obj) -> tuple[set[str], set[str]]:
        try:
            return getattr(user_obj, _READ)
        except AttributeError:
            pass
        connection = connections[router.db_for_read(Permission)]
        own: set[str] = set()
        from_groups: set[str] = set()
        with connection.cursor() as cursor:
            cursor.execute(_permissions_sql(type(user_obj), connection.ops.quote_name), [user_obj.pk, user_obj.pk])
            for which, app_label, codename in cursor.fetchall():
                (from_groups if which else own).add(f"{app_label}.{codename}")
        setattr(user_obj, _READ, (own, from_groups))
        return own, from_groups

    def _plain(self, user_obj, obj) -> bool:
        """A request ModelBackend would answer from the user's and groups' rows (not every
        permission, as for a superuser, nor none, as for an inactive user or an object)."""
        return user_obj.is_active and not user_obj.is_anonymous and obj is None and not user_obj.is_superuser

    def get_user_permissions(self, user_obj, obj=None):
        if not self._plain(user_obj, obj):
            return super().get_user_permissions(user_obj, obj)
        return self._read(user_obj)[0]

    def get_group_permissions(self, user_obj, obj=None):
        if not self._plain(user_obj, obj):
            return super().get_group_permissions(user_obj, obj)
        return self._read(user_obj)[1]
