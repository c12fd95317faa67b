"""Errors any storage engine raises, so the domain can catch them without knowing the engine."""


class StoreError(RuntimeError):
    """The database cannot be opened or used; the message says what to do."""


class QueryTimeout(RuntimeError):
    """A query ran past its time limit and was interrupted."""
