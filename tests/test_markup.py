"""collection/markup.py gives the strings django.utils.html gives, safe where Django's are."""
import pytest
from django.utils import html as django_html
from django.utils.functional import lazystr
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext_lazy

from collection import markup


class Marked:
    def __html__(self):
        return "<b>already markup</b>"


class SaysSafe:
    def __str__(self):
        return SafeString("<i>safe from __str__</i>")


VALUES = ["plain", "<script>alert('x')</script>", 'a "quoted" & <tagged> value', "", " ", 0, 12, -3.5, None,
          True, mark_safe("<em>safe</em>"), lazystr("<lazy> & 'str'"), gettext_lazy("Action:"), Marked(),
          SaysSafe(), ["<list>"], b"<bytes>"]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_escapes_as_django(value):
    if not hasattr(value, "__html__") or isinstance(value, SafeData):
        assert markup.escape(value) == django_html.escape(value)
        assert isinstance(markup.escape(value), SafeString)
    assert markup.conditional_escape(value) == django_html.conditional_escape(value)
    assert isinstance(markup.conditional_escape(value), SafeData) == isinstance(django_html.conditional_escape(value),
                                                                               SafeData)


def test_formats_as_django():
    template = '<a href="{}" title="{title}">{}</a> {}'
    for a in VALUES:
        for b in VALUES:
            ours = markup.format_html(template, a, b, SaysSafe(), title=b)
            assert ours == django_html.format_html(template, a, b, SaysSafe(), title=b)
            assert isinstance(ours, SafeString)
    with pytest.raises(TypeError):
        markup.format_html("<br>")
