"""System checks for the reports' settings (see collection/checks.py)."""
from collection.checks import Spec, check

REPORTS_SETTINGS = (
    Spec("REPORTS_SUPPRESSION_THRESHOLD", int, 2, 1000,
         why="A suppressed cell written without a number allows 1 to this - 1, so at least 2; the default is 5."),
)


def reports_settings(app_configs=None, **kwargs):
    return [error for spec in REPORTS_SETTINGS for error in check(spec, "reports")]
