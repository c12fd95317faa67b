"""Autocomplete choices as Discord takes them."""

from __future__ import annotations

from discord import app_commands

from bot.search.choices import Choice


def as_choices(choices: list[Choice]) -> list[app_commands.Choice[str]]:
    """Ranked suggestions (at most 25, each at most 100 characters) as Discord's choices."""
    return [app_commands.Choice(name=choice.name, value=choice.value) for choice in choices]
