import pytest

from collection.importer import load_catalogue_csv

from .builders import DATA


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue_csv(str(DATA / "offence_codes.csv"))
