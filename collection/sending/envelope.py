"""Every e-mail we send, built one way: who it is from, where replies go, its Message-ID.

Requests and chasers go to forces: their Reply-To is the team's FOI mailbox
(`FOI_MAILBOX_ADDRESS`), the inbox matches the answers by the Message-ID kept with each
request (`FoiRequest.sent_message_id`) or reminder (`ReminderLog.message_id`), and our
reference stays in the subject for replies that drop the thread headers. Digests and the
final-figures note go to staff and carry no Reply-To.
"""
from __future__ import annotations

from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email

from .rules import mailbox_domain, one_line


def mailbox_problem() -> str | None:
    """Why requests and chasers cannot go to forces yet, or None."""
    address = (getattr(settings, "FOI_MAILBOX_ADDRESS", "") or "").strip()
    if not address:
        return ("FOI_MAILBOX_ADDRESS is not set: set it to the team's FOI mailbox, where forces' answers "
                "should arrive (README, Settings)")
    try:
        validate_email(address)
    except ValidationError:
        return f"FOI_MAILBOX_ADDRESS {address!r} is not an e-mail address"
    if mailbox_domain(address) in ("localhost", "localhost.localdomain"):
        return f"FOI_MAILBOX_ADDRESS {address!r} is on localhost: forces' answers would never arrive"
    return None


def new_message_id() -> str:
    """A Message-ID of ours, on the mailbox's domain (never the host's name)."""
    domain = (mailbox_domain(getattr(settings, "FOI_MAILBOX_ADDRESS", ""))
              or mailbox_domain(parseaddr(settings.DEFAULT_FROM_EMAIL)[1]) or "foi-tracker.invalid")
    return make_msgid(idstring="foi", domain=domain)


def sender() -> str:
    """`Name <address>`: DEFAULT_FROM_EMAIL, or the mailbox while DEFAULT_FROM_EMAIL is left at its
    localhost default (mail from localhost is refused by most servers, and answered by nobody)."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    mailbox = (getattr(settings, "FOI_MAILBOX_ADDRESS", "") or "").strip()
    if mailbox and mailbox_domain(address) in ("", "localhost", "localhost.localdomain"):
        address = mailbox
    return formataddr((getattr(settings, "FOI_SENDER_NAME", "") or name, address))


def signature(signed_by: str = "") -> str:
    """The foot of a request or chaser: the campaign owner's name, then the team's signature."""
    block = (getattr(settings, "FOI_SIGNATURE", "") or getattr(settings, "FOI_SENDER_NAME", "")
             or "The research team").strip()
    lines = [signed_by.strip()] if signed_by.strip() and signed_by.strip() not in block.splitlines() else []
    return "\n".join(lines + [block])


def outgoing(subject: str, text: str, html: str, to: list[str], *, message_id: str, to_force: bool,
             in_reply_to: str = "") -> EmailMultiAlternatives:
    headers = {"Message-ID": message_id}
    if in_reply_to:
        # A chaser threads under the request in the force's mailbox.
        headers["In-Reply-To"] = headers["References"] = in_reply_to
    reply_to = [settings.FOI_MAILBOX_ADDRESS] if to_force and getattr(settings, "FOI_MAILBOX_ADDRESS", "") else None
    message = EmailMultiAlternatives(one_line(subject), text, sender(), to, reply_to=reply_to, headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    return message
