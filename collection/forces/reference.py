"""Reference data shipped with the app: the 44 forces and the offence codes.

Loaded by migration on a new database and by `load_reference_data` later; existing rows keep
the edits staff made (FOI address, active flag), only missing rows are added unless asked to
refresh descriptions.
"""
import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_forces() -> list[dict]:
    with open(DATA_DIR / "forces.csv", newline="", encoding="utf-8") as f:
        return [
            {
                "force_id": row["force_id"],
                "name": row["name"],
                "ons_code": row["ons_code"],
                "country": row["country"],
                "region": row["region"],
                "territorial": row["territorial"].strip().lower() == "yes",
                "wdtk_slug": row["wdtk_slug"],
            }
            for row in csv.DictReader(f)
        ]


def read_offence_codes() -> list[dict]:
    with open(DATA_DIR / "offence_codes.csv", newline="", encoding="utf-8") as f:
        return [
            {
                "code": row["code"],
                "description": row["description"],
                "category": row["category"],
                "victim_min_age": int(row["victim_min_age"]) if row["victim_min_age"] else None,
                "victim_max_age": int(row["victim_max_age"]) if row["victim_max_age"] else None,
            }
            for row in csv.DictReader(f)
        ]


def load(force_model, offence_model, *, refresh: bool = False) -> tuple[int, int]:
    """Create missing forces and codes (refresh=True also updates shipped fields). Returns counts created."""
    created = [0, 0]
    for i, (model, key, rows) in enumerate(
        ((force_model, "force_id", read_forces()), (offence_model, "code", read_offence_codes()))
    ):
        for row in rows:
            lookup = {key: row.pop(key)}
            if refresh:
                _, was_created = model.objects.update_or_create(defaults=row, **lookup)
            else:
                _, was_created = model.objects.get_or_create(defaults=row, **lookup)
            created[i] += was_created
    return created[0], created[1]
