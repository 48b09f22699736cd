"""A message is the same message when its content is the same, not when its Message-ID is:
`MailMessage.key` becomes the hash of the content (collection.mail.identity.content_key),
recomputed here from each message's stored bytes. Existing rows stay valid: a row whose bytes
cannot be read keeps its old key, and so does a row whose content key another row already holds
(an old key is unique too). New fields: `shares_message_id` (a different message under a reused
Message-ID), `from_force` and `sender_check` (who sent it); new kinds: partial answer, delivery
delayed, needs a person."""
from django.db import migrations, models


def content_keys(apps, schema_editor):
    from collection.mail.identity import content_key

    MailMessage = apps.get_model("collection", "MailMessage")
    taken = set(MailMessage.objects.values_list("key", flat=True))
    for message in MailMessage.objects.only("pk", "key", "raw").order_by("pk").iterator():
        try:
            with message.raw.open("rb") as fh:
                key = content_key(fh.read())
        except (OSError, ValueError):
            continue  # the stored bytes are missing: the row keeps the key it has
        if key == message.key or key in taken:
            continue
        taken.discard(message.key)
        taken.add(key)
        MailMessage.objects.filter(pk=message.pk).update(key=key)


class Migration(migrations.Migration):

    dependencies = [
        ("collection", "0014_every_count_has_a_period"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailmessage",
            name="from_force",
            field=models.BooleanField(blank=True, help_text="Sent from the force's FOI address or domain and not failing the receiving server's checks; empty when not checked (unmatched, or received before senders were checked).", null=True, verbose_name="from the force"),
        ),
        migrations.AddField(
            model_name="mailmessage",
            name="sender_check",
            field=models.CharField(blank=True, help_text="Why it is (or is not) taken to come from the force.", max_length=300, verbose_name="who sent it"),
        ),
        migrations.AddField(
            model_name="mailmessage",
            name="shares_message_id",
            field=models.BooleanField(default=False, help_text="Another message with other content came with the same Message-ID: both are kept.", verbose_name="shares its Message-ID"),
        ),
        migrations.AlterField(
            model_name="mailmessage",
            name="key",
            field=models.CharField(help_text="A hash of the message's content: the same message delivered again has the same.", max_length=300, unique=True),
        ),
        migrations.AlterField(
            model_name="mailmessage",
            name="kind",
            field=models.CharField(choices=[("acknowledgement", "Acknowledgement"), ("auto_reply", "Auto-reply"), ("clarification", "Clarification request"), ("extension", "Extension (public interest test)"), ("refusal", "Refusal"), ("not_held", "Information not held"), ("nil_return", "Nil return"), ("partial", "Partial answer"), ("answer", "Answer"), ("bounce", "Delivery failure"), ("delay", "Delivery delayed"), ("unclear", "Needs a person"), ("unrelated", "Unrelated"), ("unreadable", "Unreadable (kept raw)")], max_length=20),
        ),
        migrations.RunPython(content_keys, migrations.RunPython.noop),
    ]
