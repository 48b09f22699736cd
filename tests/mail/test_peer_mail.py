"""Alaveteli's own e-mail fixtures (68 real mails from another FOI platform's test suite), read
from ../shared/samples/peer-mail beside the project, never copied into it: every kind gets the
name its labels.json gives, and `ingest_mail` keeps every distinct message."""
import json
import os
from pathlib import Path

import pytest

from collection.mail.models import MailMessage
from collection.mail.parse import parse_message
from collection.mail.reading import read_message
from tests.helpers import command

ROOT = Path(__file__).resolve().parents[2]
#: Where the shared samples sit beside the project; FOI_PEER_MAIL names another place (a git
#: worktree has the project one level deeper).
PEER_MAIL = Path(os.environ.get("FOI_PEER_MAIL") or ROOT.parent / "shared" / "samples" / "peer-mail")
#: labels.json's names, as this app's kinds.
KIND_OF_LABEL = {"bounce": "bounce", "delay_not_failure": "delay", "auto_reply": "auto_reply"}
AUTOMATIC = set(KIND_OF_LABEL.values())


def peer_mail() -> dict:
    labels = PEER_MAIL / "labels.json"
    if not labels.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PEER_MAIL}: the peer mail samples are missing (CI must have ../shared/samples/peer-mail)")
        pytest.skip(f"{PEER_MAIL}: the peer mail samples are not beside this checkout (../shared/samples/peer-mail)")
    return json.loads(labels.read_text())


def labelled(labels: dict) -> dict[str, str]:
    wanted = {name: kind for label, kind in KIND_OF_LABEL.items() for name in labels[label]}
    wanted.update({name: "neither" for name in labels["neither_bounce_nor_auto_reply"]})
    return wanted


def test_every_labelled_peer_message_gets_its_kind():
    labels = peer_mail()
    wrong = {}
    for name, want in labelled(labels).items():
        reading = read_message(parse_message((PEER_MAIL / f"{name}.eml").read_bytes()))
        ok = reading.kind not in AUTOMATIC if want == "neither" else reading.kind == want
        if not ok:
            wrong[name] = (reading.kind, want, reading.evidence)
        assert reading.evidence, name
    assert wrong == {}


def test_ingest_mail_keeps_every_distinct_peer_message(db):
    labels = peer_mail()
    rows = json.loads(command("ingest_mail", str(PEER_MAIL), "--json"))
    assert len(rows) == labels["messages"] == 68
    assert not [r["file"] for r in rows if r["duplicate"]]
    assert MailMessage.objects.count() == 68  # every distinct message, none dropped as a duplicate
    kinds = {Path(r["file"]).stem: r["kind"] for r in rows}
    for name, want in labelled(labels).items():
        assert (kinds[name] not in AUTOMATIC) if want == "neither" else kinds[name] == want, name
    for group in labels["distinct_messages_sharing_a_message_id"]:
        shared = MailMessage.objects.filter(source_name__in=[str(PEER_MAIL / f"{n}.eml") for n in group])
        assert shared.count() == len(group) and all(m.shares_message_id for m in shared), group
        assert len({m.key for m in shared}) == len(group) and len({m.message_id for m in shared}) == 1
    again = json.loads(command("ingest_mail", str(PEER_MAIL), "--json"))
    assert all(r["duplicate"] for r in again) and MailMessage.objects.count() == 68
