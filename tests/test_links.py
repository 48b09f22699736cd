"""collection/links.py: pk_url is reverse(), whatever the script prefix, inside a page's
`one_page()` or not, and one_page() leaves nothing behind."""
from django.urls import clear_script_prefix, get_script_prefix, reverse, set_script_prefix

from collection.links import one_page, pk_url

VIEWS = ("admin:collection_campaign_workspace", "admin:collection_foirequest_change",
         "admin:collection_returnedfile_download", "admin:reports_campaign_report")


def test_pk_url_is_reverse_under_any_prefix_in_a_page_or_not():
    before = get_script_prefix()
    try:
        for prefix in ("/", "/foi/", "/a b/"):
            set_script_prefix(prefix)
            for view in VIEWS:
                for pk in (1, 42, 9_876_543):
                    assert pk_url(view, pk) == reverse(view, args=[pk]) and reverse(view, args=[pk]).startswith(
                        prefix.replace(" ", "%20"))
                    with one_page():
                        assert pk_url(view, pk) == reverse(view, args=[pk])
    finally:
        clear_script_prefix()
        set_script_prefix(before)


def test_one_page_keeps_the_prefix_it_started_with_and_forgets_it_after():
    before = get_script_prefix()
    try:
        set_script_prefix("/first/")
        with one_page():
            assert pk_url(VIEWS[0], 7) == "/first/admin/collection/campaign/7/workspace/"
            set_script_prefix("/second/")  # never within a request: the page's links stay whole
            assert pk_url(VIEWS[0], 7).startswith("/first/")
        assert pk_url(VIEWS[0], 7) == "/second/admin/collection/campaign/7/workspace/"
        with one_page():
            assert pk_url(VIEWS[0], 8).startswith("/second/")
    finally:
        set_script_prefix(before)
