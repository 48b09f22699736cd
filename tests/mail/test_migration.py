"""Migration 0015: a stored message's key becomes the hash of its content, from its stored bytes;
a row whose bytes are gone, or whose content another row already holds, keeps the key it had."""
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from collection.mail.identity import content_key
from tests.mail.practice import message_bytes

BEFORE = [("collection", "0014_every_count_has_a_period")]
AFTER = [("collection", "0015_mail_identity_by_content_and_sender_check")]


@pytest.mark.django_db(transaction=True)
def test_existing_messages_are_keyed_by_their_content_and_every_row_stays_valid(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    MailMessage = old.get_model("collection", "MailMessage")
    first, resent = message_bytes("msg-0075.eml"), message_bytes("msg-0076.eml")  # one message, delivered twice

    def stored(key, raw, name):
        m = MailMessage(key=key, message_id=key, sha256="0" * 64, size=len(raw), source="file", kind="answer")
        m.raw.save(name, ContentFile(raw), save=False)
        m.save()
        return m

    a = stored("<first@example>", first, "a.eml")
    b = stored("sha256:resent", resent, "b.eml")  # same content under another old key
    gone = stored("<gone@example>", b"From: x@example.org\r\n\r\nhello", "c.eml")
    gone.raw.storage.delete(gone.raw.name)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("collection", "MailMessage")
    keys = dict(new.objects.values_list("pk", "key"))
    assert keys[a.pk] == content_key(first) == content_key(resent)
    assert keys[b.pk] == "sha256:resent"  # the content key was taken: the old key, still unique, stays
    assert keys[gone.pk] == "<gone@example>"
    assert not new.objects.filter(shares_message_id=True).exists()
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
