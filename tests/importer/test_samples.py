"""Every practice return imports to exactly the cells in truth.json."""
import collections
import json

import pytest

from collection.importer import import_return

from .builders import DATA

RETURNS = DATA / "returns"
MANIFEST = json.loads((RETURNS / "manifest.json").read_text())
TRUTH = json.loads((RETURNS / "truth.json").read_text())
PROVIDED = sorted(fid for fid, m in MANIFEST.items() if m.get("file"))


@pytest.mark.parametrize("force_id", PROVIDED)
def test_sample_matches_truth(force_id, catalogue):
    entry = MANIFEST[force_id]
    result = import_return((RETURNS / entry["file"]).read_bytes(), entry["file"], catalogue)
    got = collections.Counter()
    for row in result.rows:
        assert not row.suppressed
        got[(row.offence_code, row.victim_age)] += row.count
    expected = collections.Counter({(c, a): n for c, a, n in TRUTH["cells"][force_id]})
    assert +got == +expected
    assert result.layout == entry["shape"]
    assert result.file_format == entry["format"]
    assert sum(got.values()) == TRUTH["by_force"][force_id]


def test_sample_national_total(catalogue):
    total = 0
    for force_id in PROVIDED:
        f = MANIFEST[force_id]["file"]
        total += import_return((RETURNS / f).read_bytes(), f, catalogue).total
    assert total == TRUTH["total_offences"]


def test_csv_encodings_reported(catalogue):
    r = import_return((RETURNS / "derbyshire.csv").read_bytes(), "derbyshire.csv", catalogue)
    assert r.encoding == "cp1252"
    r = import_return((RETURNS / "bedfordshire.csv").read_bytes(), "bedfordshire.csv", catalogue)
    assert r.encoding == "utf-8-sig"
    assert r.header_row == 4
    assert r.counting_unit == "crimes"
