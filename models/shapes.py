"""What the public JSON shapes have in common: most of their fields are shown as they are."""

from __future__ import annotations


def fields_of(item: object, *names: str) -> dict[str, object]:
    """`item`'s attributes of these names, keyed by name, in this order."""
    return {name: getattr(item, name) for name in names}
