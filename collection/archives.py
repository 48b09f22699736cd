"""Archives that rebuild byte for byte: a zip whose entries are sorted and dated the zip format's
first day, and a SHA256SUMS over its files (`sha256sum -c` reads it). A release and an ICO
complaint pack are both made so: no build time inside, the same files give the same bytes."""
from __future__ import annotations

import hashlib
import io
import zipfile

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's first day


def with_sums(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files and SHA256SUMS over all of them."""
    sums = "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in sorted(files))
    return {**files, "SHA256SUMS": sums.encode()}


def zip_bytes(folder: str, files: dict[str, bytes]) -> bytes:
    """One zip, entries sorted under the folder's name, every one dated FIXED_TIME."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{path}", date_time=FIXED_TIME)
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 3, 0o644 << 16
            archive.writestr(info, files[path], compresslevel=6)
    return buffer.getvalue()
