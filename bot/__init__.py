"""Rewind: makes every episode of a podcast searchable inside its Discord server."""
