"""django.utils.html's escape, conditional_escape and format_html: the same strings, without the
lazy-string wrapper Django puts around escape (keep_lazy: a third of an escape's time). A list
page escapes a thousand values; tests/test_markup.py compares each with Django's."""
import html

from django.utils.functional import Promise
from django.utils.safestring import SafeString


def escape(text) -> SafeString:
    """django.utils.html.escape for a value that is not lazy (Django's answers a lazy one lazily)."""
    return SafeString(html.escape(str(text)))


def conditional_escape(text) -> SafeString:
    if isinstance(text, Promise):
        text = str(text)
    return text.__html__() if hasattr(text, "__html__") else SafeString(html.escape(str(text)))


def format_html(format_string: str, *args, **kwargs) -> SafeString:
    if not (args or kwargs):  # Django 6 refuses it: nothing to escape means no reason to call this
        raise TypeError("args or kwargs must be provided.")
    return SafeString(format_string.format(*map(conditional_escape, args),
                                           **{k: conditional_escape(v) for k, v in kwargs.items()}))
