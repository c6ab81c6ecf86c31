"""Persistent buttons bound to their handler: discord.py's view store keys a dynamic item by
its template, so each kind of button is one class registered at start-up
(`client.add_dynamic_items`) and sent on every message; the handler its clicks go to is set
on that class, once per process."""

from __future__ import annotations

import types
from typing import Any, TypeVar, cast

T = TypeVar("T", bound=type[Any])


def bound(item: T, *, template: str, **handlers: object) -> T:
    """A subclass of the dynamic item `item` under `template` whose class attributes are
    `handlers` (e.g. `decisions=self`)."""

    def body(namespace: dict[str, Any]) -> None:
        namespace.update(handlers)

    made = types.new_class(f"Bound{item.__name__}", (item,), {"template": template}, body)
    return cast(T, made)
