"""The SQL both engines run from one text: named parameters numbered for PostgreSQL."""

from storage.common import numbered


def test_named_parameters_are_numbered_in_order_of_first_use() -> None:
    query = "SELECT :b, x FROM t WHERE y = :a OR :b IS NULL"
    assert numbered(query) == ("SELECT $1, x FROM t WHERE y = $2 OR $1 IS NULL", ("b", "a"))


def test_casts_and_words_with_colons_are_left_alone() -> None:
    query = "SELECT value::float8, 'a:b' FROM facts WHERE key = :key"
    assert numbered(query) == ("SELECT value::float8, 'a:b' FROM facts WHERE key = $1", ("key",))
