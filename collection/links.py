"""`reverse(name, args=[pk])` for the views that take one primary key, the URL worked out once per name.

A list page links every row (its campaign, its workspace, its download, its report): Django's
reverse() costs about 100 us a call, a tenth of a 100-row page's server time. The URL of a
placeholder pk is built once and each row's pk put in its place; the result is what reverse()
gives, because the pk is a plain integer in every such URL. A list's rows are drawn `one_page()`.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

PLACEHOLDER = "9182736450918273645"  # digits, so an <int:...> converter accepts it; in no real URL
_split: dict[tuple, tuple[str, str]] = {}
# The request's script prefix and URLconf, while one page's rows are drawn (`one_page`).
_page: ContextVar[tuple[str, str] | None] = ContextVar("collection_links_page", default=None)


def _where() -> tuple[str, str]:
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF


def pk_url(viewname: str, pk) -> str:
    # The script prefix and the URLconf are per request (and per test): each gets its own pattern.
    try:
        before, after = _split[(viewname, *(_page.get() or _where()))]
    except KeyError:  # reverse() answers for the request's own prefix and URLconf: kept under them
        pattern = reverse(viewname, args=[PLACEHOLDER])
        before, after = _split[(viewname, *_where())] = tuple(pattern.split(PLACEHOLDER, 1))
    return f"{before}{int(pk)}{after}"


@contextmanager
def one_page():
    """Within it, pk_url takes the request's script prefix and URLconf as they were on entering:
    a list draws a link or two on each of its hundred rows, and each lookup of those two costs
    as much as the rest of pk_url. Both are set for the request before its view runs."""
    token = _page.set(_where())
    try:
        yield
    finally:
        _page.reset(token)
