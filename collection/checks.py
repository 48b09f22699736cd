"""System checks for the app's own settings (FOI_*; reports/checks.py adds REPORTS_*).

A wrong value (a lease of -1 seconds, a weekend rule misspelt in the environment) stops
`manage.py check` and every management command at start with a line naming the setting,
instead of failing half-way through a job on a worker. Each setting has a Spec here: its
type, its range or its allowed values, and why the bounds are what they are. A new FOI_*
setting needs one too (tests/test_settings_checks.py fails until it has).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .deadlines import WEEKEND_RULES

MIB = 1024 * 1024


@dataclass(frozen=True)
class Spec:
    name: str
    kind: type  # int, float for any real number, str, or bool (with choices)
    minimum: float | None = None  # for a str: its length
    maximum: float | None = None
    choices: tuple = ()
    why: str = ""
    problem: Callable[[object], str | None] | None = None  # what else is wrong with a value, or None


def check(spec: Spec, prefix: str) -> list[checks.CheckMessage]:
    """Errors for one setting: E001 missing, E002 wrong type, E003 out of range (a number) or too
    long (text), E004 not one of the allowed values, E005 otherwise wrong (not an e-mail address)."""
    if not hasattr(settings, spec.name):
        return [checks.Error(f"{spec.name} is not set", hint="Set it in foi_tracker/settings.py.", id=f"{prefix}.E001")]
    value = getattr(settings, spec.name)
    hint = spec.why or None
    if spec.choices:
        if value not in spec.choices:
            return [checks.Error(f"{spec.name} is {value!r}, not one of {', '.join(map(repr, spec.choices))}",
                                 hint=hint, obj=spec.name, id=f"{prefix}.E004")]
        return []
    types = {float: (int, float), int: (int,), str: (str,), list: (list, tuple)}[spec.kind]
    if isinstance(value, bool) or not isinstance(value, types):
        kind = {float: "a number", int: "a whole number", str: "text", list: "a list"}[spec.kind]
        return [checks.Error(f"{spec.name} is {value!r} ({type(value).__name__}), not {kind}",
                             hint=hint, obj=spec.name, id=f"{prefix}.E002")]
    size = len(value) if spec.kind in (str, list) else value
    if (spec.minimum is not None and size < spec.minimum) or (spec.maximum is not None and size > spec.maximum):
        shown = f"{size} characters long" if spec.kind is str else repr(value)
        return [checks.Error(f"{spec.name} is {shown}, outside {spec.minimum:g} to {spec.maximum:g}",
                             hint=hint, obj=spec.name, id=f"{prefix}.E003")]
    problem = spec.problem(value) if spec.problem else None
    if problem:
        return [checks.Error(f"{spec.name} is {value!r}: {problem}", hint=hint, obj=spec.name, id=f"{prefix}.E005")]
    return []


def not_an_address(value: str) -> str | None:
    if not value:
        return None  # unset: requests and chasers are refused at sending, saying so
    try:
        validate_email(value)
    except ValidationError:
        return "not an e-mail address"
    return None


def not_networks(values) -> str | None:
    import ipaddress

    for value in values:
        try:
            ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            return f"{value!r} is not an address or network (10.0.0.2, 10.0.0.0/24, ::1)"
    return None


def line_break(value: str) -> str | None:
    return "it goes into a mail header, where a line break is not allowed" if "\n" in value or "\r" in value else None


FOI_SETTINGS = (
    Spec("FOI_REMINDER_LEASE_SECONDS", int, 1, 24 * 3600,
         why="Seconds; longer than sending one email takes (else two runs send it), shorter than a day (else a "
             "claim left by a run that died waits past the day). The default is 30 (renewed every quarter)."),
    Spec("FOI_JOB_LEASE_SECONDS", int, 5, 3600,
         why="Seconds a queued job's run counts as alive without renewing its lease (it renews every quarter); "
             "the sweeper queues it again after this. The default is 30."),
    Spec("FOI_SEND_CONNECTIONS", int, 1, 32,
         why="How many connections to the mail server a send opens at once. The default is 4."),
    Spec("FOI_WEEKEND_RECEIPT_RULE", str, choices=WEEKEND_RULES,
         why="statute: a request received on a non-working day counts from that day; next_working_day: from "
             "the next working day."),
    Spec("FOI_IMPORT_MAX_FILE_BYTES", int, 1, 1024 * MIB, why="Bytes; the default is 25 MiB."),
    Spec("FOI_IMPORT_MAX_UNCOMPRESSED_BYTES", int, 1, 16 * 1024 * MIB, why="Bytes; the default is 250 MiB."),
    Spec("FOI_IMPORT_MAX_COMPRESSION_RATIO", float, 1, 10_000,
         why="A zip bomb compresses thousands of times; spreadsheets 5 to 50 times. The default is 100."),
    Spec("FOI_IMPORT_MAX_ROWS", int, 1, 10_000_000, why="The default is 1,000,000 (an xlsx sheet holds 1,048,576)."),
    Spec("FOI_IMPORT_MAX_SECONDS", float, 1, 3600, why="Seconds; the default is 300."),
    Spec("FOI_IMPORT_MAX_PDF_PAGES", int, 1, 10_000, why="Pages of a PDF letter read; the default is 200."),
    Spec("FOI_IMPORT_MAX_DOCUMENT_BYTES", int, 1, 1024 * MIB, why="Bytes of a PDF or Word letter; the default is 20 MiB."),
    Spec("FOI_IMPORT_MAX_TEXT_BYTES", int, 1, 1024 * MIB, why="Bytes of a text or HTML answer; the default is 5 MiB."),
    Spec("FOI_BULK_MAX_FILES", int, 1, 10_000, why="Files read from one drop, zip or saved e-mail; the default is 200."),
    Spec("FOI_OCR_TESSERACT", str, 1, 500, why="The Tesseract command (a name on PATH or a path); the default is tesseract."),
    Spec("FOI_OCR_MAX_PAGES", int, 1, 1000, why="Pages of a scan read with OCR; the default is 50."),
    Spec("FOI_OCR_MAX_PIXELS", int, 1_000_000, 400_000_000,
         why="Pixels of one page at the reading resolution (300 dpi: an A4 page is 8.7 million); the default "
             "is 40 million."),
    Spec("FOI_OCR_MAX_SECONDS", float, 1, 3600, why="Seconds reading one scan may take; the default is 300."),
    Spec("FOI_OCR_PROCESSES", int, 1, 64, why="Tesseract runs side by side (about one per core); the default is 2."),
    Spec("FOI_OCR_CONFIDENCE_FLOOR", float, 0, 1,
         why="A reading less sure than this (0 to 1) is left for typing; the default is 0.05."),
    Spec("FOI_WARM_REPORTS", bool, choices=(True, False),
         why="True: a worker works a campaign's figures out again after an import or an answer, into the shared "
             "reports cache (REPORTS_CACHE_URL); the default is True when that is set."),
    Spec("FOI_MAILBOX_ADDRESS", str, 0, 254, problem=not_an_address,
         why="The team's FOI mailbox (Reply-To of requests and chasers); empty: nothing is sent to forces."),
    Spec("FOI_SENDER_NAME", str, 0, 100, problem=line_break, why="The name in the From of every e-mail."),
    Spec("FOI_SIGNATURE", str, 0, 2000, why="Signed at the foot of requests and chasers."),
    Spec("FOI_MAIL_LEASE_SECONDS", int, 60, 24 * 3600,
         why="Seconds a mail poller that died holds its mailbox before another takes over; the default is 900."),
    Spec("FOI_MAIL_MAX_MESSAGE_BYTES", int, 1024, 1024 * MIB,
         why="Bytes of the largest message read (larger ones are kept raw, unread); the default is 100 MiB."),
    Spec("FOI_TRUSTED_PROXIES", list, 0, 100, problem=not_networks,
         why="Addresses or networks of the proxies in front (comma-separated): only a request from one of them "
             "has its X-Forwarded-For believed as the client's address. Empty (the default): REMOTE_ADDR."),
    Spec("FOI_LOGIN_ADDRESS_LIMIT", int, 1, 100_000,
         why="Wrong passwords from one client address, any user names, before it is locked for the cool-off; "
             "the default is 100."),
    Spec("FOI_MAIL_MAX_PARTS", int, 2, 100_000,
         why="MIME parts of a message read (more: kept whole, nothing in it read); the default is 200."),
    Spec("FOI_MAIL_MAX_ATTACHMENTS", int, 1, 10_000,
         why="Attachments of a message read (more: kept whole, nothing in it read); the default is 50."),
    Spec("FOI_MAIL_MAX_DECODED_BYTES", int, 1024, 1024 * MIB,
         why="Bytes a message's parts may decode to (more: kept whole, nothing in it read); the default is 50 MiB."),
)


def foi_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [error for spec in FOI_SETTINGS for error in check(spec, "collection")]
