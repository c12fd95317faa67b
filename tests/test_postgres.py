"""The PostgreSQL store's own concerns: migrations under an advisory lock, connection errors, the
tsquery it renders, and choosing the backend from REWIND_DB."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from models.errors import QueryTimeout, StoreError
from models.search import TermQuery
from storage import Store
from storage.opening import is_postgres_url, open_store
from storage.postgres import PostgresStore, shown_url
from storage.postgres.migrations import MIGRATIONS
from storage.postgres.store import lexemes, tsquery
from tests.conftest import SAMPLE


async def applied(url: str) -> list[int]:
    connection = await asyncpg.connect(url)
    try:
        return [row[0] for row in await connection.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await connection.close()


async def test_a_new_database_is_migrated_once(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.close()
    assert await applied(postgres_url) == list(range(1, len(MIGRATIONS) + 1))
    again = await PostgresStore.open(postgres_url)
    await again.close()
    assert await applied(postgres_url) == list(range(1, len(MIGRATIONS) + 1))


async def test_processes_starting_together_never_race_to_migrate(postgres_url: str) -> None:
    # Each open is its own connection pool, as separate processes are; without the advisory lock
    # the second CREATE TABLE fails on the first one's catalogue row.
    stores = await asyncio.gather(*(PostgresStore.open(postgres_url) for _ in range(6)))
    assert [await store.list_episodes() for store in stores] == [[]] * 6  # each one reads the migrated tables
    await asyncio.gather(*(store.close() for store in stores))
    assert await applied(postgres_url) == list(range(1, len(MIGRATIONS) + 1))


async def test_a_newer_schema_is_refused_with_a_clear_error(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    connection = await asyncpg.connect(postgres_url)
    await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", len(MIGRATIONS) + 1)
    await connection.close()
    await store.close()
    with pytest.raises(StoreError, match="newer than this Rewind"):
        await PostgresStore.open(postgres_url)


async def test_a_database_that_does_not_exist_is_one_clear_line(postgres: str, tmp_path: Path) -> None:
    missing = postgres.replace("/postgres?", "/no_such_rewind_db?")
    with pytest.raises(StoreError, match=r"cannot connect to the database at .*no_such_rewind_db"):
        await PostgresStore.open(missing)


def test_passwords_are_not_shown() -> None:
    assert shown_url("postgresql://bot:s3cret@db.example:5432/rewind") == "postgresql://bot:***@db.example:5432/rewind"
    assert shown_url("postgresql://bot@/rewind?host=/run/pg") == "postgresql://bot@/rewind?host=/run/pg"


@pytest.mark.parametrize(
    ("plan", "rendered"),
    [
        (TermQuery((("dopamine",),)), "('dopamine')"),
        (TermQuery((("lever",),), (("slot", "machine"),)), "('lever') & ('slot' <-> 'machine')"),
        (TermQuery((("a", "b"), ("c",))), "( ('a') | ('b') ) & ('c')"),
        (TermQuery(alternatives=((("a",), ("b",)), (("c",),))), "( ('a') & ('b') ) | ( ('c') )"),
        (TermQuery(phrases=(("say", "hi"),), alternatives=((("c",),),)), "('say' <-> 'hi') & ( ( ('c') ) )"),
    ],
)
def test_plans_become_quoted_tsqueries(plan: TermQuery, rendered: str) -> None:
    assert tsquery(plan) == rendered


@pytest.mark.parametrize("raw", ["a & b", "'; DROP TABLE x;--", "it's", "back\\slash"])
def test_a_term_is_always_one_quoted_lexeme(raw: str) -> None:
    assert tsquery(TermQuery(((raw,),))) == "('" + raw.replace("\\", "\\\\").replace("'", "''") + "')"


def test_segments_are_stored_as_rewinds_own_tokens_with_positions() -> None:
    assert lexemes("Don’t stop; don't STOP the café") == "'dont':1,3 'stop':2,4 'the':5 'cafe':6"


async def test_rewind_db_picks_the_backend(tmp_path: Path, postgres_url: str) -> None:
    assert is_postgres_url(postgres_url) and not is_postgres_url(tmp_path / "rewind.db")
    sqlite = await open_store(tmp_path / "rewind.db")
    postgresql = await open_store(postgres_url)
    assert (type(sqlite), type(postgresql)) == (Store, PostgresStore)
    await sqlite.close()
    await postgresql.close()


def test_the_cli_gives_the_same_answers_from_either_database(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = []
    for db in (str(tmp_path / "rewind.db"), postgres_url):
        assert main(["index", str(SAMPLE), "--db", db, "--json"]) == 0
        capsys.readouterr()
        for command in (
            ["episodes"],
            ["search", "fix the bugs before the users find them"],
            ["onthisday", "--date", "03-10"],
        ):
            assert main([*command, "--db", db, "--json"]) == 0
            answers.append((command[0], json.loads(capsys.readouterr().out)))
    sqlite, postgresql = answers[:3], answers[3:]
    assert sqlite == postgresql
    assert postgresql[1][1][0]["title"] == "Shipping software"


def test_rebuild_is_refused_for_a_postgresql_database(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebuild", str(SAMPLE), "--db", postgres_url]) == 2
    assert "SQLite file" in capsys.readouterr().err


async def test_a_search_past_its_time_limit_is_stopped_by_the_server(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    slow = (  # a candidate row, after a fifth of a second
        "SELECT 1, 1, 0, NULL::float8, NULL, 'line', 0.0::float8, NULL, NULL, NULL, 'title', NULL, NULL, NULL, 'src'"
        " FROM pg_sleep(0.2)"
    )
    try:
        with pytest.raises(QueryTimeout, match=r"stopped after 0\.05 s"):
            await store._timed(slow, [], 0.05)
        assert len(await store._timed(slow, [], 5.0)) == 1  # the next search gets its own limit
        assert await store._pool.fetchval("SELECT current_setting('statement_timeout')") == "0"  # writes unbounded
    finally:
        await store.close()
