"""Template helpers of the pages: ``{% bar bars %}`` draws a stacked progress bar, ``{{ id|action_label }}``
names an action as people read it."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.safestring import SafeString

from jalon.web.pages.common import bar_html
from jalon.web.pages.discussions import action_label as _action_label

register = template.Library()


@register.simple_tag
def bar(bars: Mapping[str, float], css: str = "bar") -> SafeString:
    return bar_html(bars, css)


@register.filter
def action_label(action_id: str) -> str:
    return _action_label(action_id)
