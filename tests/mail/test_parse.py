"""Bad and awkward mail, read by the pure modules: never lost, never a crash."""
import datetime as dt
import io
import zipfile
from email.message import EmailMessage

import pytest

from collection.importer.limits import ImportLimits
from collection.mail import parse as parse_module
from collection.mail.attachments import importable
from tests.helpers import zip_of
from collection.mail.html import html_tables, html_to_text
from collection.mail.matching import RequestRecord, match_message
from collection.mail.parse import parse_message
from collection.mail.reading import read_message
from collection.mail.wording import cited_sections, force_reference

CSV = b"Offence,Age,Count\n88A,13,2\n"


def message(subject="RE: Freedom of Information request FOI-CYBER-2015-16-KENT: offences", body="Hello",
            sender="foi@kent.police.uk", **headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "foi-research@example.org"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 26 Apr 2016 10:34:38 +0100"
    msg["Message-ID"] = headers.pop("message_id", "<a1@kent.police.uk>")
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_garbage_is_kept_as_unreadable_with_a_reason():
    parsed = parse_message(b"\x00\x01\x02 not mail at all \xff\xfe")
    assert not parsed.readable
    assert "not an e-mail" in parsed.problem
    assert len(parsed.sha256) == 64 and parsed.key == f"sha256:{parsed.sha256}"


def test_a_crash_inside_the_parser_is_a_problem_not_an_exception(monkeypatch):
    def boom(*a, **k):
        raise ValueError("broken MIME")
    monkeypatch.setattr(parse_module, "_read", boom)
    parsed = parse_message(message().as_bytes())
    assert parsed.problem == "the message could not be read (ValueError: broken MIME)"


def test_cp1252_bytes_labelled_us_ascii_are_decoded():
    raw = (b"From: foi@kent.police.uk\r\nSubject: FOI\r\nContent-Type: text/plain; charset=us-ascii\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\nThe limit is \xa3450 and we\x92ll write \x96 soon.\r\n")
    parsed = parse_message(raw)
    assert "£450" in parsed.text and "we’ll" in parsed.text and "–" in parsed.text
    assert parsed.charset_note == "declared us-ascii, decoded as cp1252"


def test_rfc2231_names_and_encoded_word_subjects():
    msg = message(subject="Réponse FOI")
    msg.add_attachment(CSV, maintype="text", subtype="csv", filename="Données – figures.csv")
    raw = msg.as_bytes()
    assert b"filename*=" in raw and b"=?utf-8?" in raw
    parsed = parse_message(raw)
    assert parsed.subject == "Réponse FOI"
    assert parsed.attachments[0].name == "Données – figures.csv"
    assert parsed.attachments[0].data == CSV


def test_an_attachment_over_the_limit_is_refused_before_it_is_decoded(monkeypatch):
    msg = message()
    msg.add_attachment(b"x" * 3000, maintype="application", subtype="octet-stream", filename="huge.xlsx")
    decoded = []
    real = parse_module.make_attachment
    monkeypatch.setattr(parse_module, "make_attachment", lambda name, *a, **k: decoded.append(name) or real(name, *a, **k))
    parsed = parse_message(msg.as_bytes(), ImportLimits(max_file_bytes=2000))
    (att,) = parsed.attachments
    assert decoded == [] and att.data is None
    assert att.size == 3000 and att.role == "oversize"
    assert "larger than the 0.0 MB size limit" in att.refused


def test_a_zip_is_opened_and_its_data_file_found():
    msg = message()
    msg.add_attachment(zip_of({"figures.csv": CSV, "letter.pdf": b"%PDF-1.4 letter"}), maintype="application",
                       subtype="zip", filename="answer.zip")
    (att,) = parse_message(msg.as_bytes()).attachments
    assert [c.name for c in att.children] == ["figures.csv", "letter.pdf"]
    assert [a.name for a in importable([att])] == ["figures.csv"]


def test_a_zip_bomb_is_refused_within_the_importers_limits():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.csv", b"0" * (20 * 1024 * 1024))
    msg = message()
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="bomb.zip")
    (att,) = parse_message(msg.as_bytes()).attachments
    assert "zip bomb" in att.refused and att.children == []
    assert importable([att]) == []


def test_an_encrypted_zip_and_winmail_dat_are_kept_and_flagged():
    data = bytearray(zip_of({"figures.csv": CSV}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" bit
        at = data.index(signature) + offset
        data[at] |= 0x1
    msg = message()
    msg.add_attachment(bytes(data), maintype="application", subtype="zip", filename="locked.zip")
    msg.add_attachment(b"\x78\x9f\x3e\x22tnef", maintype="application", subtype="ms-tnef", filename="winmail.dat")
    locked, winmail = parse_message(msg.as_bytes()).attachments
    assert locked.flag.startswith("encrypted zip") and locked.data and locked.sha256
    assert winmail.flag.startswith("winmail.dat") and winmail.data
    assert importable([locked, winmail]) == []


def test_html_to_text_drops_script_and_keeps_table_cells_apart():
    html = "<p>Dear <b>Requester</b></p><script>alert(1)</script><table><tr><td>88A</td><td>3</td></tr></table>"
    assert html_to_text(html) == "Dear Requester\n\n88A\t3"
    assert html_tables(html) == [[["88A", "3"]]]


def test_sections_are_grounds_not_procedure():
    text = ("refused under section 12; this is a refusal notice under section 17(5); advice under section 16; "
            "exempt under sections 30 and 31, and s.40(2); clarify under section 1(3); extended under s.10(3)")
    assert cited_sections(text) == ["s.12", "s.30", "s.31", "s.40(2)"]


@pytest.mark.parametrize("text,ref", [
    ("Our ref: FOI 001234/16", "FOI 001234/16"), ("Reference No: 2016/FOI/1234", "2016/FOI/1234"),
    ("FOI Request - 0123/16", "0123/16"), ("Your reference: FOI-CYBER-2015-16-KENT\nRef: CS/1/16", "CS/1/16"),
    ("Our Reference: FOI-2016-03326", "FOI-2016-03326"), ("Your reference: FOI-CYBER-2015-16-KENT", ""),
])
def test_force_reference_is_kept_as_written(text, ref):
    found = force_reference("", text)
    assert (found.reference if found else "") == ref
    if found:
        assert ref in found.words  # the words it was found in, to show a person


@pytest.mark.parametrize("headers,subject", [
    ({"Auto_Submitted": "auto-replied"}, "RE: FOI"), ({"X_Autoreply": "yes"}, "RE: FOI"),
    ({}, "Out of Office: FOI request"), ({}, "Automatic reply: FOI request"),
])
def test_auto_replies(headers, subject):
    reading = read_message(parse_message(message(subject=subject, body="We acknowledge receipt", **headers).as_bytes()))
    assert reading.kind == "auto_reply" and reading.evidence


def test_extension_reads_the_new_date_and_grounds():
    body = ("We are considering the public interest test under section 10(3) for the exemptions in section 31. "
            "We now aim to respond by 3 June 2016.")
    reading = read_message(parse_message(message(body=body).as_bytes()))
    assert (reading.kind, reading.new_due_on, reading.sections) == ("extension", dt.date(2016, 6, 3), ["s.31"])


KENT = RequestRecord(1, "kent", "FOI-CYBER-2015-16-KENT", frozenset(["<sent-1@localhost>"]), frozenset(["FOI 001156/16"]),
                     frozenset(["kent.police.uk"]))
KENT_OLD = RequestRecord(2, "kent", "FOI-CYBER-2014-15-KENT", frozenset(["<sent-2@localhost>"]), frozenset(),
                         frozenset(["kent.police.uk"]))
ESSEX = RequestRecord(3, "essex", "FOI-CYBER-2015-16-ESSEX", frozenset(["<sent-3@localhost>"]), frozenset(),
                      frozenset(["essex.police.uk"]))


def _match(msg, records):
    parsed = parse_message(msg.as_bytes())
    return match_message(parsed, read_message(parsed), records)


def test_matching_never_guesses_between_two_open_requests():
    m = _match(message(subject="Figures", body="Please find attached", sender="bob@kent.police.uk"), [KENT, KENT_OLD, ESSEX])
    assert m.key is None and "2 open requests" in m.reason and m.candidates == [1, 2]
    m = _match(message(subject="Figures", body="Please find attached", sender="bob@kent.police.uk"), [KENT, ESSEX])
    assert (m.key, m.matched_by) == (1, "domain")


def test_a_reference_we_never_sent_beats_the_domain():
    msg = message(subject="RE: FOI-CYBER-2013-14-KENT", body="Thanks", sender="foi@kent.police.uk")
    m = _match(msg, [KENT, ESSEX])
    assert m.key is None and "FOI-CYBER-2013-14-KENT" in m.reason


def test_threading_then_references_then_force_reference():
    assert _match(message(In_Reply_To="<sent-3@localhost>"), [KENT, ESSEX]).key == 3
    assert _match(message(subject="Your request", body="Our ref: FOI 001156/16\nPlease find attached",
                          sender="x@example.org"), [KENT, ESSEX]).matched_by == "force_reference"


def test_quick_key_is_the_key_the_parser_gives():
    from collection.mail.parse import quick_key
    from tests.mail.practice import message_bytes, message_names

    for name in message_names():
        raw = message_bytes(name)
        assert quick_key(raw) == parse_message(raw).key, name
    raw = message(message_id="").as_bytes().replace(b"Message-ID: \n", b"")
    assert quick_key(raw) == parse_message(raw).key and quick_key(raw).startswith("content:")


def test_a_message_is_known_by_its_content_not_by_its_message_id():
    from collection.mail.parse import quick_key

    first = message(body="Please find the figures attached.").as_bytes()
    redelivered = b"Received: from mx2 by mx1; Tue, 26 Apr 2016 10:35:00 +0100\r\nReturn-Path: <foi@kent.police.uk>\r\n" \
        + first.replace(b"\n", b"\r\n")
    other_body = message(body="Please find the corrected figures attached.").as_bytes()
    other_file = message(body="Please find the figures attached.")
    other_file.add_attachment(CSV, maintype="text", subtype="csv", filename="figures.csv")
    assert quick_key(redelivered) == quick_key(first)  # new trace fields, other line ends: the same message
    keys = {quick_key(first), quick_key(other_body), quick_key(other_file.as_bytes())}
    assert len(keys) == 3  # one Message-ID, three messages
    assert {parse_message(first).message_id, parse_message(other_body).message_id} == {"<a1@kent.police.uk>"}
