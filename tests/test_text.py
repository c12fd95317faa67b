"""The one normaliser tokenizes exactly as the FTS5 index does, so a typed word, an indexed word
and a ranked word are the same string."""

import pytest

from models.episodes import EpisodeFacts, EpisodeRecord, SourceRecord
from models.text import normalised, token_spans, tokens
from storage import Store

SAMPLES = [
    "Café naïve Ångström résumé Tiếng Việt Đà ça où là",
    "Don't don’t dont donʼt O'Brien O’Neill rock 'n' roll",
    "'quoted' ‘single’ “double” #hashtag @mention",
    "3.14 2nd 1,000 10:45 2024-05-17 x² ① ٣ Ⅻ",
    "well-known e-mail re-run — dash – en snake_case",
    "Straße STRASSE ﬁle ﬂow ﬀ Œuvre æsthetic Ǆ ǅ",
    "İstanbul ı Ελληνικά άλφα ΣΑΣ σας Москва йод ё Й",
    "東京 タワー 中文 한국어 हिन्दी عربي ＡＢＣ ａｂｃ",
    "emoji 😀 ok\ttab\nnew line",
]


def facts() -> EpisodeFacts:
    return EpisodeFacts(None, "explicit", None, "t", "explicit", None, None, None, None, False)


async def indexed_tokens(store: Store, texts: list[str]) -> list[list[str]]:
    """Each text's tokens as the FTS5 table made them, read back in order through fts5vocab."""
    segments = [(None, None, None, text) for text in texts]
    record = SourceRecord("sample.txt", "sample.txt", "hash", "indexed", "text")
    await store.replace_sources([([record], [EpisodeRecord("sample.txt", "", "text", facts(), (), segments)])])
    await store._db.execute("CREATE VIRTUAL TABLE temp.instances USING fts5vocab(main, segments_fts, instance)")
    rows = await store._db.execute_fetchall(
        "SELECT s.position, i.term FROM temp.instances i JOIN segments s ON s.id = i.doc ORDER BY s.position, i.offset"
    )
    found: list[list[str]] = [[] for _ in texts]
    for position, term in rows:
        found[position].append(term)
    return found


async def test_tokens_are_exactly_the_fts5_tables_tokens(store: Store) -> None:
    assert await indexed_tokens(store, SAMPLES) == [tokens(text) for text in SAMPLES]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don’t café", ["dont", "cafe"]),
        ("Straße ﬁle", ["straße", "ﬁle"]),  # FTS5 folds case, not compatibility forms
        ("ΣΑΣ йод", ["σασ", "йод"]),  # diacritics go from Latin letters only
    ],
)
def test_tokens_fold_case_apostrophes_and_latin_accents(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_spans_and_normalised_text_use_the_same_tokens() -> None:
    text = "  Don’t  STOP, café! "
    assert [folded for _, _, folded in token_spans(text)] == tokens(text)
    assert [text[start:end] for start, end, _ in token_spans(text)] == ["Don’t", "STOP", "café"]
    assert normalised(text) == "dont stop cafe"
