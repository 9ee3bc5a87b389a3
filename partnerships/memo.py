"""What a user may see, asked many times while one page is drawn (the partnership page asks
whether its reader sees every record, and whether they belong to a party, once per
section), answered once per user object.

The answers are kept on the user object, which lives for one request, and forgotten
whenever a membership, an organization or a party changes in this process (a counter the
signals below move), so that code which changes a membership and asks again is answered
afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db.models.signals import post_delete, post_save

_generation = 0


def _forget(**kwargs) -> None:
    global _generation
    _generation += 1


def remembered(user, key: Hashable, answer: Callable[[], Any]) -> Any:
    """``answer()``, asked once per ``user`` object and ``key`` until access changes."""
    memo = user.__dict__.setdefault("_access_memo", {"generation": _generation})
    if memo["generation"] != _generation:
        memo.clear()
        memo["generation"] = _generation
    if key not in memo:
        memo[key] = answer()
    return memo[key]


def forget_on_change(*models) -> None:
    """Forget every answer whenever a row of ``models`` is saved or deleted."""
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(_forget, sender=model, dispatch_uid=f"memo-{model.__name__}")
