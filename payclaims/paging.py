"""A page of a list, shaped like Flask-SQLAlchemy's pagination so one paging macro reads both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ListPage(Generic[T]):
    """One page of a list already in memory, shaped like Flask-SQLAlchemy's pagination (what
    ``templates/_macros/paging.html`` reads)."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, rows: Sequence[T], *, page: int, per_page: int) -> ListPage[T]:
        """Page ``page`` (from 1; past the end gives an empty page) of ``rows``."""
        page = max(page, 1)
        start = (page - 1) * per_page
        return cls(list(rows[start : start + per_page]), page, per_page, len(rows))

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        """The number of the page before, if any."""
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        """The number of the page after, if any."""
        return self.page + 1 if self.has_next else None
