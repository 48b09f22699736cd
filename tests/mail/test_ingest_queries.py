"""Reading a mailbox costs a fixed number of queries per message, whatever the number of
requests: the requests are indexed once per run, held messages known up front, each campaign's
and force's reading choices looked up once."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collection.mail import services
from collection.mail.models import MailMessage
from tests.mail.practice import write_mailbox
from tests.mail.test_ingest import practice_campaign  # noqa: F401

CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def test_ingesting_a_mailbox_costs_at_most_six_queries_a_message_and_one_index(practice_campaign, tmp_path,
                                                                               monkeypatch):
    folder = write_mailbox(tmp_path / "mailbox")
    built = []
    real = services.request_index
    monkeypatch.setattr(services, "request_index", lambda: built.append(1) or real())
    with CaptureQueriesContext(connection) as queries:
        results = services.IngestPaths([str(folder)]).execute()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith(CONTROL)]
    assert len(results) == 93 and MailMessage.objects.count() == 92
    assert built == [1]  # the requests indexed once for the whole run
    assert len(statements) / len(results) <= 6, len(statements) / len(results)
    per_request = [s for s in statements if 'FROM "collection_foirequest"' in s and "WHERE" in s]
    assert len(per_request) <= 1  # no request looked up again per message

