"""`reverse(name, args=[pk])` for the views that take one primary key, the URL worked out once per name.

A list page links every row (its campaign, its workspace, its download, its report), each link a
reverse() of the same name. Here the URL of a placeholder pk is built once and each row's pk put
in its place; the result is what reverse() gives, because the pk is a plain integer in every such
URL (tests/test_links.py). A list's rows are drawn `one_page()`.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

#: A key no row holds, put where a row's pk goes in a URL or a query string, then replaced by each
#: row's: digits, so an <int:...> converter accepts it and urlencode keeps it as it is.
PLACEHOLDER = "9182736450918273645"
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
    """Within it, pk_url takes the request's script prefix and URLconf as they were on entering,
    instead of looking both up for each of a list's links. Both are set for the request before its
    view runs."""
    token = _page.set(_where())
    try:
        yield
    finally:
        _page.reset(token)
