"""Quote search: user text to safe FTS5 queries, ranking and hit formatting."""
