"""What several test modules need, written once. Fixtures live in conftest.py; these are plain
functions a test calls."""
from __future__ import annotations

import io
import socket
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

#: The project's folder, and the tests' own copies of the practice material.
ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"


def command(*args, **options) -> str:
    """What a management command prints on stdout (its stderr is kept apart: `command_output`)."""
    return command_output(*args, **options)[0]


def command_output(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def closed_port() -> int:
    """A port on loopback that nothing listens on: a mail server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upload_return(client, request, content: bytes, name: str, **extra):
    """Post a force's file to the request's upload page, as a researcher does."""
    data = {"file": SimpleUploadedFile(name, content), "outcome": "provided", "received_on": "2016-03-24", **extra}
    return client.post(reverse("admin:collection_returnedfile_upload", args=[request.pk]), data)


def confirm_return(client, returned):
    """Press Confirm import on the file's preview page (with the fingerprint the page shows)."""
    page = client.get(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))
    return client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk]),
                       {"fingerprint": page.context["summary"]["fingerprint"]})


def zip_of(files: dict[str, bytes]) -> bytes:
    """A small zip made in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()
