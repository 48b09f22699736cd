import subprocess
import sys
from pathlib import Path

from collection.importer import sha256_of

ROOT = Path(__file__).resolve().parents[2]


def test_no_django_import():
    code = "import sys, collection.importer, collection.importer.__main__; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_cli_and_sha(tmp_path):
    data = (ROOT / "tests/data/returns/cleveland.xlsx").read_bytes()
    assert len(sha256_of(data)) == 64
    out = subprocess.run([sys.executable, "-m", "collection.importer", "tests/data/returns/cleveland.xlsx",
                          "--codes", "tests/data/offence_codes.csv"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and '"layout": "pivot_offence_age"' in out.stdout
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"")
    out = subprocess.run([sys.executable, "-m", "collection.importer", str(bad), "--codes",
                          "tests/data/offence_codes.csv"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("x.xlsx: the file is empty")
