from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest.indexer import read_document
from bot.ingest.model import ParseError

PIECES = st.sampled_from(
    [
        "WEBVTT\n",
        "00:00:01.000 --> 00:00:02.000\n",
        "1\n",
        "\n",
        "Name: words here\n",
        "**Bob:** hi\n",
        "---\ntitle: x\n---\n",
        "<rss><channel>",
        "<item><title>#1 t</title></item>",
        "</channel></rss>",
        '{"segments": [',
        '{"body": "x"}',
        "]}",
        "Dialogue: 0,0:00:01.00,0:00:02.00,,,0,0,0,,hi\n",
        "[Script Info]\n",
        "0:00:01\nSpeaker 0 :x\n",
        "00:00:01 hello\n",
        "Jan 01, 2020\n",
        "-->",
        "\\[01:02\\]",
        "<cite>A:</cite><time>0:01</time><p>x</p>",
        "\ufeff",
        "\x00",
        "é",
        "99:99:99,999 --> 1:2\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES | st.text(max_size=40), max_size=30))
def test_no_text_crashes_a_parser(tmp_path: Path, pieces: list[str]) -> None:
    path = tmp_path / "input.txt"
    path.write_text("".join(pieces), encoding="utf-8", errors="surrogatepass")
    _read(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000))
def test_no_bytes_crash_a_parser(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "input.vtt"
    path.write_bytes(data)
    _read(path)


def _read(path: Path) -> None:
    try:
        document = read_document(path)
    except ParseError as error:
        assert str(error)
        return
    assert document.episodes
    assert all(episode.segments or episode.from_listing for episode in document.episodes)
