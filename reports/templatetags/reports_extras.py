from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def thousands(value):
    """2552 -> 2,552 (django.contrib.humanize is not installed)."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


@register.filter
def figure(value, places=None):
    """A figure in the words the aggregate says it: "272", "10 to 14" (`reports.aggregate.figure_text`)."""
    from reports.aggregate import figure_text
    return figure_text(value, int(places) if places not in (None, "") else None)
