"""A path parameter that takes any text: `{name:anything}`.

Names that break the naming rules must reach those rules and get their reason, whatever
characters they hold. Starlette's `str` stops at "/" and its `path` at a line break
(its pattern is `.*` without DOTALL), so `din\\r\\nkes` or `../etc` would match no route
and answer a bare 404. Registered once, on import, before the routes are declared.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

ANYTHING = "anything"


class AnythingConvertor(Convertor[str]):
    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(ANYTHING, AnythingConvertor())
