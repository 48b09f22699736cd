"""The second practice mailbox (bounces of Exim, Postfix, Exchange, Gmail and a gateway; an
Exchange delay; auto-replies of Exchange, Outlook, Lotus Domino, Gmail and others; refusals that
acknowledge; extensions with numeric dates; partial answers; references in other shapes; senders
that are not the force) read, matched and acted on exactly as its expected.json says."""
import json
from io import StringIO

from django.core.management import call_command

from collection.mail.matching import RequestIndex, RequestRecord, match_message
from collection.mail.models import MailMessage, MailSuggestion, SuggestionStatus
from collection.mail.parse import parse_message
from collection.mail.reading import own_text, read_message
from collection.mail.wording import force_reference
from collection.returns.models import OffenceCount
from tests.helpers import command
from tests.mail.world import (EXPECTED, MAILBOX, SLUG, make_world_campaign, message_bytes, message_names,
                              sent_message_id)
from reports.figures import compute_aggregate
from tests.reports.practice import TRUTH

FORCES = sorted({m["force"] for m in EXPECTED["messages"].values()} | set(EXPECTED["outcomes"]))


def world_index() -> RequestIndex:
    return RequestIndex([RequestRecord(i, f, f"FOI-{SLUG.upper()}-{f.upper()}", frozenset([sent_message_id(f)]),
                                       force_domains=frozenset([f"{f}.police.uk"])) for i, f in enumerate(FORCES)])


def test_every_message_is_read_and_matched_as_expected():
    """In arrival order, learning each force's references as a run does."""
    index = world_index()
    wrong = {}
    for name in message_names():
        want = EXPECTED["messages"][name]
        parsed = parse_message(message_bytes(name))
        reading = read_message(parsed)
        match = match_message(parsed, reading, index)
        if match.key is not None and not reading.force_reference and reading.kind not in ("auto_reply", "bounce"):
            found = force_reference(parsed.subject, own_text(parsed.text), index.shapes(match.key))
            reading.force_reference = found.reference if found else ""
        if match.key is not None and reading.force_reference:
            index.learn_reference(match.key, reading.force_reference)
        got = {"force": FORCES[match.key] if match.key is not None else None, "kind": reading.kind,
               "matched_by": match.matched_by, "force_reference": reading.force_reference or None,
               "sections": reading.sections,
               "new_due_on": reading.new_due_on.isoformat() if reading.new_due_on else None}
        expected = {key: want[key] for key in got}
        if got != expected:
            wrong[name] = (got, expected)
        assert parsed.readable and reading.evidence, name
        report = reading.report
        if "failed_recipient" in want:
            assert report.failed_recipient == want["failed_recipient"], name
        if "status" in want:
            assert report.status == want["status"], name
    assert wrong == {}


def test_the_world_mailbox_through_ingest_mail_and_apply_suggestions(db, researcher, tmp_path):
    campaign = make_world_campaign(researcher)
    rows = json.loads(command("ingest_mail", str(MAILBOX), "--json"))
    assert len(rows) == 36
    by_file = {row["file"].rsplit("/", 1)[-1]: row for row in rows}
    for name, want in EXPECTED["messages"].items():
        row = by_file[name]
        assert (row["force_id"], row["matched_by"]) == (want["force"], want["matched_by"]), name
        assert row["kind"] == want["kind"], name
        assert row["duplicate"] is ("duplicate_of" in want), name
        assert row["shares_message_id"] is bool(want.get("shares_message_id")), name
        if not row["duplicate"]:
            assert row["from_force"] is want["from_force"], name
    assert MailMessage.objects.count() == 35  # the re-delivery is the one message not kept twice

    out = StringIO()
    call_command("apply_suggestions", SLUG, stdout=out)
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    figures = compute_aggregate(campaign).as_dict()["by_force"]
    wrong = {}
    for force_id, want in EXPECTED["outcomes"].items():
        r = requests[force_id]
        got = {"outcome": r.outcome, "status": r.status, "force_reference": r.force_reference or None,
               "sections": r.sections_cited, "due_on": r.due_on.isoformat() if want["due_on"] else None,
               "answered_on": r.answered_on.isoformat() if r.answered_on else None,
               "figures": OffenceCount.objects.filter(request=r).exists()}
        if got != want:
            wrong[force_id] = (got, want)
        if want["figures"] and figures.get(force_id) != TRUTH["by_force"][force_id]:
            wrong[force_id + " figures"] = (figures.get(force_id), TRUTH["by_force"][force_id])
    assert wrong == {}
    for force_id in EXPECTED["left_for_a_person"]:
        waiting = MailSuggestion.objects.get(request=requests[force_id], status=SuggestionStatus.WAITING)
        assert not waiting.clean
        assert "a person must confirm it comes from the force" in waiting.attention or \
            "the receiving server's checks failed (dmarc=fail, spf=fail)" in waiting.attention
        assert f"{force_id}: Not sent" not in out.getvalue()
    assert "2 left for a person" in out.getvalue()
