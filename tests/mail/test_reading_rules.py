"""The reading rules on the forms forces and servers write: sections, dates and references in
every shape; refusals that acknowledge; partial answers; extensions with numeric dates; what is
only supposed decides nothing; automatic mail known by its headers before its words; and what fits
no rule waits for a person. Pure: no database."""
import datetime as dt
from email.message import EmailMessage

import pytest

from collection.mail.parse import parse_message
from collection.mail.reading import read_message
from collection.mail.wording import cited_sections, dates_in, deadline_date, force_reference, shape_of

D = dt.date.fromisoformat
CSV = b"Offence,Age,Count\n88A,13,2\n"


def mail(body="", subject="RE: Freedom of Information request FOI-CYBER-2015-16-KENT: offences",
         sender="Kent Police FOI <foi@kent.police.uk>", attach: bytes | None = None, thread=True, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "foi-research@example.org"
    msg["Subject"] = subject
    msg["Date"] = headers.pop("date", "Tue, 26 Apr 2016 10:34:38 +0100")
    msg["Message-ID"] = "<a1@kent.police.uk>"
    if thread:
        msg["In-Reply-To"] = "<sent-1@example.org>"
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    if attach is not None:
        msg.add_attachment(attach, maintype="text", subtype="csv", filename="figures.csv")
    return msg.as_bytes()


def read(raw: bytes):
    return read_message(parse_message(raw))


@pytest.mark.parametrize("text,sections", [
    ("refused under s12", ["s.12"]), ("Section 12(1) of the Act applies", ["s.12(1)"]),
    ("exempt under section 12", ["s.12"]), ("Section 40(2) - personal information", ["s.40(2)"]),
    ("S.40 (2) applies", ["s.40(2)"]), ("exempt under sections 30 and 31", ["s.30", "s.31"]),
    ("ss.30, 31 and 40(2) apply", ["s.30", "s.31", "s.40(2)"]), ("Sections 31(1)(a) and 40(2)", ["s.31(1)(a)", "s.40(2)"]),
    ("a refusal notice under section 17(5); advice under section 16; s.10(3); section 1(3)", []),
    ("Sheffield S12 8RE", []), ("the force's 12 officers and its 30 staff", []), ("s.14(1) vexatious", ["s.14(1)"]),
])
def test_sections_are_read_in_every_form_and_only_grounds_are_kept(text, sections):
    assert cited_sections(text) == sections


@pytest.mark.parametrize("text,day", [
    ("22/01/2027", "2027-01-22"), ("22.01.27", "2027-01-22"), ("22-1-2027", "2027-01-22"),
    ("22nd January 2027", "2027-01-22"), ("22 Jan 2027", "2027-01-22"), ("Friday 22 January", "2027-01-22"),
    ("the 22nd of January", "2027-01-22"), ("January 22, 2027", "2027-01-22"),
])
def test_dates_are_read_in_every_uk_form(text, day):
    (found,) = dates_in(text, after=D("2026-12-14"))
    assert found.day == D(day)


def test_a_date_without_a_year_is_the_one_after_the_message_that_fits_its_weekday():
    assert dates_in("Monday 3 January", after=D("2021-12-20"))[0].day == D("2022-01-03")
    assert dates_in("Friday 3 June", after=D("2016-05-04"))[0].day == D("2016-06-03")


def test_the_new_date_is_the_latest_deadline_after_the_message_not_the_day_we_asked():
    text = ("We received your request on 06/04/2016 and would normally reply by 05/05/2016. "
            "We have extended the time until 22/01/2027 to consider the public interest.")
    assert deadline_date(text, after=D("2016-05-04")).day == D("2027-01-22")
    assert deadline_date("We received your request on 06/04/2016.", after=D("2016-05-04")) is None


def test_an_extension_until_a_numeric_date_gives_its_new_date():
    reading = read(mail("Under section 10(3) we need further time to consider section 31. We will reply "
                        "until 22/01/2027 at the latest.", date="Mon, 14 Dec 2026 10:00:00 +0000"))
    assert (reading.kind, reading.new_due_on, reading.sections) == ("extension", D("2027-01-22"), ["s.31"])
    assert "22/01/2027" in reading.evidence


@pytest.mark.parametrize("subject,text,ref", [
    ("", "Our ref: FOI 001234/16", "FOI 001234/16"), ("", "Case Reference: F-2016-00123", "F-2016-00123"),
    ("", "Our Ref. No. 2016.0456", "2016.0456"), ("", "FOI Ref - 16/FOI/0312", "16/FOI/0312"),
    ("", "Request ID: 00789-16", "00789-16"), ("", "Reference number: LP/FOI/2016/0211", "LP/FOI/2016/0211"),
    ("", "Please quote reference 2016/0088 in any correspondence", "2016/0088"),
    ("", "Our reference: MP 2016/1122", "MP 2016/1122"), ("", "Ticket number: 1672/16", "1672/16"),
    ("[FOI 2016-1234] Your request for information", "Thank you", "FOI 2016-1234"),
    ("OFFICIAL - FOI 4966/16/FOI Response", "", "4966/16/FOI"),
    ("RE: Freedom of Information request FOI-CYBER-2015-16-KENT: offences 2015/16", "Thanks", ""),
    ("", "Your reference: FOI-CYBER-2015-16-KENT\nReference: 22/01/2027", ""),
])
def test_the_forces_reference_is_found_in_whatever_shape_it_takes(subject, text, ref):
    found = force_reference(subject, text)
    assert (found.reference if found else "") == ref


def test_a_code_with_no_label_is_found_by_the_shape_of_the_forces_earlier_references():
    shapes = (shape_of("NB/2016/0101"),)
    assert force_reference("Your information", "Our response to NB/2016/0117 is attached.", shapes).reference \
        == "NB/2016/0117"
    assert force_reference("Your information", "Our response to NB/2016/0117 is attached.") is None
    assert force_reference("Figures 2015/16", "For 2015/16, see below", (shape_of("9348/16"),)) is None


@pytest.mark.parametrize("body", [
    "Thank you for your request for information, which we received on 6 April 2016. Section 12(1) applies: the cost "
    "of complying would exceed the appropriate limit, and this email acts as a refusal notice.",
    "We acknowledge your request. To answer it would exceed the cost limit, so s12 applies and we will not be "
    "providing the information.",
    "Thank you for your email. We estimate that complying would exceed the appropriate limit under section 12, so "
    "we are unable to provide the information.",
])
def test_a_refusal_that_also_acknowledges_is_a_refusal(body):
    reading = read(mail(body))
    assert reading.kind == "refusal" and reading.sections[0].startswith("s.12") and reading.evidence


def test_a_partial_answer_is_figures_with_an_exemption_cited_for_what_is_withheld():
    partial = read(mail("Please find attached. Some of the information is withheld under Section 40(2) - personal "
                        "information.", attach=CSV))
    assert (partial.kind, partial.sections) == ("partial", ["s.40(2)"])
    assert "withheld" in partial.evidence
    # an exemption named for data that was never asked for, or the cost limit, leaves it an answer
    removed = read(mail("Dates of birth in the extract have been removed: they are exempt under section 40(2).",
                        attach=CSV))
    cost = read(mail("Part of your request would exceed the limit and is refused under section 12.", attach=CSV))
    assert (removed.kind, cost.kind) == ("answer", "answer") and cost.sections == ["s.12"]


@pytest.mark.parametrize("body", [
    "Thank you for your request. If we need to extend the time for the public interest test, we will tell you.",
    "Thank you for your request, which has been logged. Should we need to clarify anything we will be in touch.",
])
def test_what_is_only_supposed_decides_nothing(body):
    assert read(mail(body)).kind == "acknowledgement"


@pytest.mark.parametrize("headers,subject,kind", [
    ({"Auto_Submitted": "auto-replied"}, "RE: FOI", "auto_reply"),
    ({"X_Autoreply": "yes"}, "RE: FOI", "auto_reply"), ({"X_Autorespond": "FOI unit"}, "Your email", "auto_reply"),
    ({"Precedence": "auto_reply"}, "Your email", "auto_reply"),
    ({"X_POST_MessageClass": "9; Autoresponder"}, "Automatic Response", "auto_reply"),
    ({"X_MS_Exchange_Generated_Message_Source": "Mailbox Rules Agent"}, "RE: FOI", "auto_reply"),
    ({}, "Automatic reply: FOI", "auto_reply"), ({}, "Out of Office AutoReply: FOI", "auto_reply"),
    ({}, "Jo Bloggs/FOI/Kent is out of the office", "auto_reply"), ({}, "AUTO: Jo is out of the office", "auto_reply"),
])
def test_automatic_replies_are_known_by_their_headers_then_their_subjects(headers, subject, kind):
    reading = read(mail("Thank you for your email. We acknowledge receipt.", subject=subject, **headers))
    assert reading.kind == kind and reading.evidence


def test_an_absence_note_quoting_our_reference_is_not_an_acknowledgement():
    reading = read(mail("Thank you for your email. I am currently out of the office until Monday with limited access "
                        "to email."))
    assert reading.kind == "auto_reply" and "out of the office" in reading.evidence


def test_an_auto_reply_with_a_null_sender_is_not_a_bounce_and_a_bounce_needs_the_mail_system():
    oof = read(mail("I am away until Monday.", subject="Out of Office: FOI", Return_Path="<>"))
    assert oof.kind == "auto_reply"
    claimed = read(mail("Mail delivery failed. This is a permanent error.", subject="Mail delivery failed",
                        sender="Jo <jo@kent.police.uk>", Return_Path="<jo@kent.police.uk>",
                        X_Failed_Recipients="foi@kent.police.uk"))
    assert claimed.kind != "bounce"  # a person's own Return-Path: not the mail system


def test_a_warning_of_delay_from_the_mail_system_is_a_delay_never_a_failure():
    raw = mail("This message was created automatically by mail delivery software.\n\nA message that you sent has not "
               "yet been delivered to one or more of its recipients after more than 24 hours on the queue.\n\n"
               "foi@kent.police.uk\n    Delay reason: SMTP error from remote mail server: 451 4.3.0 try later\n",
               subject="Warning: message 1anm2P-0004hW-9q delayed 24 hours",
               sender="Mail Delivery System <Mailer-Daemon@mx.example.org>", Return_Path="<>")
    reading = read(raw)
    assert reading.kind == "delay" and reading.report.action == "delayed"


def test_what_fits_no_rule_needs_a_person_and_what_is_about_nothing_is_unrelated():
    unclear = read(mail("I have passed this on to our Crime Registrar."))
    assert unclear.kind == "unclear" and "a person" in unclear.evidence
    spam = read(mail("Your mailbox is full. Verify your account.", subject="Action required",
                     sender="helpdesk@mail-quota.example", thread=False))
    assert spam.kind == "unrelated"
