"""Lists on the server: search, filter by state and type, sort and pagination from the
address's query (`q`, `state`, `type`, `sort`, `dir`, `page`), so every list works without
JavaScript and a list's address can be shared or bookmarked (no I/O here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

Row = TypeVar("Row")
PAGE_SIZE = 20


def _text(value: str | None, limit: int = 100) -> str:
    return (value or "").strip()[:limit]


@dataclass(frozen=True)
class ListQuery:
    """What the reader asked of a list."""

    q: str = ""
    state: str = ""
    type: str = ""
    sort: str = ""
    desc: bool = False
    page: int = 1

    @classmethod
    def of(cls, params: QueryParams, *, sort: str, desc: bool) -> ListQuery:
        page = _text(params.get("page"), 6)
        order = params.get("dir")
        return cls(
            q=_text(params.get("q")),
            state=_text(params.get("state"), 40),
            type=_text(params.get("type"), 40),
            sort=_text(params.get("sort"), 40) or sort,
            desc=desc if order not in ("asc", "desc") else order == "desc",
            page=int(page) if page.isdigit() and int(page) > 0 else 1,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The query as address parameters, with `changes`; defaults are left out."""
        query = replace(self, **changes)
        pairs = {
            "q": query.q, "state": query.state, "type": query.type, "sort": query.sort,
            "dir": "desc" if query.desc else "asc",
            "page": str(query.page) if query.page > 1 else "",
        }  # fmt: skip
        return {k: v for k, v in pairs.items() if v}


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """One page of a list, and how to get to the others."""

    rows: list[Row]
    total: int  # rows that match, over all pages
    page: int
    pages: int
    query: ListQuery
    path: str
    states: list[str] = field(default_factory=list)  # the states present, for the filter
    types: list[str] = field(default_factory=list)

    def url(self, **changes: Any) -> str:
        """This list's address with `changes` (a new search or sort starts at page 1)."""
        if "page" not in changes:
            changes["page"] = 1
        query = urlencode(self.query.params(**changes))
        return f"{self.path}?{query}" if query else self.path

    def sort_url(self, key: str) -> str:
        """Sort by `key`; sorting by the current key again turns the order around."""
        desc = not self.query.desc if self.query.sort == key else False
        return self.url(sort=key, desc=desc)

    def aria_sort(self, key: str) -> str:
        if self.query.sort != key:
            return "none"
        return "descending" if self.query.desc else "ascending"

    @property
    def filtered(self) -> bool:
        return bool(self.query.q or self.query.state or self.query.type)


def sort_value(value: Any) -> Any:
    """A value that sorts with its kind: None first, datetimes compared aware."""
    if value is None:
        return (0, "")
    if isinstance(value, datetime):
        return (1, value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, value)


def paginate(
    rows: Iterable[Row],
    query: ListQuery,
    *,
    path: str,
    text: Callable[[Row], str],
    sorts: Mapping[str, Callable[[Row], Any]],
    state: Callable[[Row], str] | None = None,
    kind: Callable[[Row], str] | None = None,
    page_size: int = PAGE_SIZE,
) -> Listing[Row]:
    """Search (`text` of a row holds every word of `q`), filter, sort and cut one page."""
    every: Sequence[Row] = list(rows)
    words = query.q.casefold().split()
    matched = [
        r for r in every
        if all(w in text(r).casefold() for w in words)
        and (not query.state or state is None or state(r) == query.state)
        and (not query.type or kind is None or kind(r) == query.type)
    ]  # fmt: skip
    key = sorts.get(query.sort) or next(iter(sorts.values()))
    matched.sort(key=lambda r: sort_value(key(r)), reverse=query.desc)
    pages = max(1, -(-len(matched) // page_size))
    page = min(query.page, pages)
    return Listing(
        rows=matched[(page - 1) * page_size : page * page_size],
        total=len(matched),
        page=page,
        pages=pages,
        query=replace(query, page=page),
        path=path,
        states=sorted({state(r) for r in every}) if state else [],
        types=sorted({kind(r) for r in every}) if kind else [],
    )
