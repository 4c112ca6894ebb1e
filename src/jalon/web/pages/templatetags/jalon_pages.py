"""Template helpers of the pages: ``{% bar bars %}`` draws a stacked progress bar."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.safestring import SafeString

from jalon.web.pages.common import bar_html

register = template.Library()


@register.simple_tag
def bar(bars: Mapping[str, float], css: str = "bar") -> SafeString:
    return bar_html(bars, css)
