"""Both stores make every call the domain's Protocols list, with the same parameters."""

import inspect

import pytest

from bot import ports
from storage import Store
from storage.feeds import FeedStore
from storage.jobs import JobStore
from storage.postgres.store import PostgresStore

CONCERNS = [
    ports.IndexWriter,
    ports.Catalogue,
    ports.ChangeMarker,
    ports.CandidateSource,
    ports.Vectors,
    ports.EpisodeTexts,
    ports.SummaryCache,
    ports.Schedules,
    ports.Pagers,
    ports.Facts,
    ports.Feeds,
    ports.IndexJobs,
]


def calls(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def shape(signature: inspect.Signature) -> list[tuple[str, object, bool]]:
    return [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in signature.parameters.values()]


IMPLEMENTATIONS = {
    "sqlite": {ports.Feeds: FeedStore, ports.IndexJobs: JobStore},
    "postgres": {ports.Feeds: FeedStore, ports.IndexJobs: JobStore},
}
STORES = {"sqlite": Store, "postgres": PostgresStore}


@pytest.mark.parametrize("engine", IMPLEMENTATIONS)
@pytest.mark.parametrize("protocol", CONCERNS, ids=lambda p: p.__name__)
def test_each_store_implements_each_concern(engine: str, protocol: type) -> None:
    implementation = IMPLEMENTATIONS[engine].get(protocol, STORES[engine])
    assert calls(protocol)
    for name, signature in calls(protocol).items():
        method = getattr(implementation, name, None)
        assert inspect.iscoroutinefunction(method), f"{implementation.__name__}.{name} is missing"
        assert shape(inspect.signature(method)) == shape(signature), name


async def test_the_store_keeps_its_write_count_and_feed_tables(store: Store) -> None:
    assert isinstance(store.writes, int)
    assert isinstance(store.feeds, FeedStore)


def test_every_concern_is_checked() -> None:
    declared = {p for p in vars(ports).values() if isinstance(p, type) and getattr(p, "_is_protocol", False)}
    composites = {p for p in declared if not calls(p) and p not in CONCERNS}
    assert declared - composites == set(CONCERNS)
