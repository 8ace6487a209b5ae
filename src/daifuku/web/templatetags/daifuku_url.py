"""``{% url %}`` with the addresses of argument-free names remembered (a template builtin, see settings).

Django's tag reverses on every render: the layout alone has a dozen such links (ホーム, 取引先, 設定 …)
and reversing is ~30 µs each. A name without arguments always reverses to the same address for the
same URLconf, script prefix, current application and language, so that address is kept per those.
Names with arguments, and ``{% url … as var %}``, behave exactly as Django's tag (it is the parser).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template import defaulttags
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

register = template.Library()

_ADDRESSES: dict[tuple[Any, ...], str] = {}
_MAX = 5000


class CachedURLNode(defaulttags.URLNode):
    def render(self, context: Any) -> str:
        if self.args or self.kwargs or self.asvar:
            return super().render(context)
        # The current application exactly as URLNode.render finds it.
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = (
            self.view_name.resolve(context),
            current_app,
            get_urlconf(),
            get_script_prefix(),
            get_language(),
            context.autoescape,
        )
        url = _ADDRESSES.get(key)
        if url is None:
            url = super().render(context)
            if len(_ADDRESSES) >= _MAX:
                _ADDRESSES.clear()
            _ADDRESSES[key] = url
        return url


@register.tag
def url(parser: Any, token: Any) -> CachedURLNode:
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
