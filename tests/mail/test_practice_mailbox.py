"""The 93 practice messages read and matched by the pure rules exactly as expected.json says:
force, kind, how it matched, the force's reference, sections, dates and attachments."""
import pytest

from collection.mail.matching import RequestRecord, match_message
from collection.mail.parse import parse_message
from collection.mail.reading import read_message
from tests.mail.practice import EXPECTED, message_bytes, message_names, sent_messages


def practice_records():
    return [RequestRecord(key=i, force_id=force_id, our_reference=sent["reference"],
                          sent_message_ids=frozenset([sent["message_id"]]),
                          force_domains=frozenset([sent["to"].rsplit("@", 1)[1]]))
            for i, (force_id, sent) in enumerate(sorted(sent_messages().items()))]


RECORDS = practice_records()
FORCE_OF = {r.key: r.force_id for r in RECORDS}


def _attachment(a):
    out = {"name": a.name, "size": a.size,
           "import": a.importable or any(c.importable for c in a.children)}
    if a.role != "oversize":
        out["sha256"] = a.sha256
    if a.children:
        out["contains"] = [_attachment(c) for c in a.children]
    return out


def _expected_attachment(a):
    out = {"name": a["name"], "size": a["size"], "import": a["import"]}
    if a["role"] != "oversize":  # the test copy of msg-0080 makes its own random bytes
        out["sha256"] = a["sha256"]
    if "contains" in a:
        out["contains"] = [_expected_attachment(c) for c in a["contains"]]
    return out


@pytest.mark.parametrize("name", message_names())
def test_each_practice_message_is_read_and_matched_as_expected(name):
    expected = EXPECTED["messages"][name]
    parsed = parse_message(message_bytes(name))
    reading = read_message(parsed)
    match = match_message(parsed, reading, RECORDS)

    assert parsed.readable, parsed.problem
    assert parsed.message_id == expected["message_id"]
    assert parsed.date.isoformat() == expected["received"]
    assert FORCE_OF.get(match.key) == expected["force"], match.reason
    assert match.matched_by == expected["matched_by"], match.reason
    # a second delivery is the same message: read it like the first
    kind = EXPECTED["messages"][expected["duplicate_of"]]["kind"] if expected["kind"] == "duplicate" else expected["kind"]
    assert reading.kind == kind, reading.evidence
    assert reading.evidence
    assert (reading.force_reference or None) == expected["force_reference"]
    assert reading.sections == expected["sections"]
    assert (reading.new_due_on.isoformat() if reading.new_due_on else None) == expected["new_due_on"]
    assert [_attachment(a) for a in parsed.attachments] == [_expected_attachment(a) for a in expected["attachments"]]
    assert bool(reading.body_table) == bool(expected["body_table"])
    for words in expected.get("decoded_text_contains", []):
        assert words in parsed.text
    if expected.get("failed_recipient"):
        assert parsed.report.failed_recipient == expected["failed_recipient"]
        assert parsed.report.status == expected["status"]
    for attachment in expected["attachments"]:
        for alternatives in attachment.get("refuse_must_mention", []):
            refusal = next(a.refused for a in parsed.attachments if a.name == attachment["name"])
            assert any(words in refusal for words in alternatives), refusal


def test_every_kind_of_the_practice_mailbox_is_counted():
    kinds = {}
    for name in message_names():
        expected = EXPECTED["messages"][name]
        kind = "duplicate" if expected["kind"] == "duplicate" else read_message(parse_message(message_bytes(name))).kind
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == EXPECTED["counts"]["by_kind"]
