"""Sessions in the database, as Django's `db` engine keeps them, each page's read made one plain query.

Every page reads its session (who is logged in). Django's engine builds, compiles and runs an ORM
query and makes a model instance for it: four times the work of the plain SELECT it comes to.
Writing, expiry, logout and key rotation are Django's own (the same table and rows).
SESSION_ENGINE = "foi_tracker.sessions".
"""
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        """The unexpired session of this key, or None (and no key), as Django's own."""
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        opts = model._meta
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(opts.get_field('session_data').column)} FROM {quote(opts.db_table)} "
                f"WHERE {quote(opts.get_field('session_key').column)} = %s "
                f"AND {quote(opts.get_field('expire_date').column)} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
