"""The practice mailbox (a copy of shared/samples/inbox): the 93 messages forces send back to
the practice campaign, the requests we sent, and what a correct app makes of each message.

msg-0080's 25 MB attachment is random bytes: rather than keep 36 MB in the repository, the test
copy holds the message around it and the bytes are made here (same size, same name).
"""
from __future__ import annotations

import base64
import email
import json
import random
from email import policy
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "inbox"
MAILBOX = DATA / "mailbox"
SENT = DATA / "sent"
EXPECTED = json.loads((DATA / "expected.json").read_text())
SLUG = EXPECTED["campaign"]
PLACEHOLDER = b"@@RANDOM-BASE64 "


def _fill(template: bytes) -> bytes:
    start = template.index(PLACEHOLDER)
    end = template.index(b"@@", start + len(PLACEHOLDER))
    size = int(template[start + len(PLACEHOLDER):end])
    encoded = base64.b64encode(random.Random(size).randbytes(size))
    lines = b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
    return template[:start] + lines + template[end + 2:]


@lru_cache(maxsize=None)
def message_bytes(name: str) -> bytes:
    path = MAILBOX / name
    if path.exists():
        return path.read_bytes()
    return _fill((MAILBOX / (name + ".template")).read_bytes())


def message_names() -> list[str]:
    return sorted(EXPECTED["messages"])


def write_mailbox(folder: Path) -> Path:
    """The 93 messages as .eml files in a folder (what a desktop client exports)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in message_names():
        (folder / name).write_bytes(message_bytes(name))
    return folder


@lru_cache(maxsize=None)
def sent_messages() -> dict[str, dict]:
    """force_id -> {message_id, to, reference} of the request e-mails we sent."""
    out = {}
    for path in sorted(SENT.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            msg = email.message_from_bytes(chunk.lstrip(), policy=policy.default)
            subject = str(msg["Subject"])
            reference = next(w for w in subject.replace(":", " ").split() if w.startswith("FOI-"))
            force_id = reference[len("FOI-" + SLUG + "-"):].lower()
            out[force_id] = {"message_id": str(msg["Message-ID"]).strip(), "to": str(msg["To"]),
                             "reference": reference}
    return out


def make_practice_campaign(owner):
    """The practice campaign as sent on 6 April 2016, each request with the Message-ID of the
    e-mail that went (as mailout keeps it in FoiRequest.sent_message_id)."""
    import datetime as dt

    from collection.forces.models import Force
    from collection.requests.models import FoiRequest
    from collection.requests.services import CreateCampaign
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    sent = sent_messages()
    for force in Force.objects.all():
        Force.objects.filter(pk=force.pk).update(foi_email=sent[force.force_id]["to"] if force.force_id in sent
                                                 else f"foi@{force.force_id}.police.uk")
    campaign = CreateCampaign(slug=SLUG, title=EXPECTED["title"], question="How many ...",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                              owner=owner, sent_on=dt.date(2016, 4, 6)).execute()
    for request in campaign.requests.select_related("force"):
        FoiRequest.objects.filter(pk=request.pk).update(sent_message_id=sent[request.force.force_id]["message_id"])
    return campaign
