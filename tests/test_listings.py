import json
from pathlib import Path

import pytest

from bot.ingest.model import ParseError
from bot.ingest.parse import parse_document

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Byte Talk</title>
<item><title>#42 Caching things</title><link>https://example.org/episodes/show/42/caching</link>
<enclosure url="https://example.org/42.mp3" type="audio/mpeg" length="1"/>
<pubDate>Sat, 31 Oct 2020 00:00:00 -0800</pubDate><itunes:duration>01:03:23</itunes:duration>
<description>&lt;p&gt;We talk caching. Then invalidation.&lt;/p&gt;</description></item>
<item><title>Intro episode</title><link>https://example.org/episodes/show/41/intro</link>
<pubDate>Tue, 30 Jun 2026 01:00:46 +0000</pubDate></item>
</channel></rss>"""


def test_feed_items_become_dated_numbered_episodes() -> None:
    document = parse_document(FEED, Path("feed.xml"))
    first, second = document.episodes
    assert document.format == "rss"
    assert (first.meta.show, first.meta.number, first.meta.title) == ("Byte Talk", 42, "Caching things")
    assert str(first.meta.published) == "2020-10-31"
    assert first.meta.duration == 3803
    assert first.meta.url == "https://example.org/42.mp3"
    assert [s.text for s in first.segments] == ["We talk caching.", "Then invalidation."]
    assert first.from_listing
    assert second.meta.number == 41  # from the link when the title has none


def test_feed_entities_are_not_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><title>&c;</title>'
        "<item><title>t</title></item></channel></rss>"
    )
    try:
        document = parse_document(bomb, Path("bomb.xml"))
    except ParseError:
        return
    assert len(document.episodes[0].meta.show or "") < 1000


DIRECTORY = """Byte Talk

By Someone

Episode Date
Caching things (Ep. 42)
20:33

We talk caching.

F: And invalidation?

Dec 11, 2019
Intro
14:49

The first one.

Jul 08, 2015"""


def test_directory_page_entries_take_the_date_that_follows_their_notes() -> None:
    document = parse_document(DIRECTORY, Path("page.txt"))
    first, second = document.episodes
    assert document.format == "directory-page"
    assert (first.meta.title, first.meta.number, str(first.meta.published)) == (
        "Caching things (Ep. 42)",
        42,
        "2019-12-11",
    )
    assert first.meta.duration == 20 * 60 + 33
    assert first.meta.show == "Byte Talk"
    assert str(second.meta.published) == "2015-07-08"


def test_podcasting_json_words_become_speaker_turns() -> None:
    data = {
        "version": "1.0.0",
        "segments": [
            {"speaker": "Darth Vader", "startTime": 0.5, "endTime": 0.75, "body": "I"},
            {"speaker": "Darth Vader", "startTime": 1, "endTime": 1.25, "body": "am"},
            {"speaker": "Darth Vader", "startTime": 1.5, "endTime": 2.0, "body": "your father."},
            {"speaker": "Luke", "startTime": 2.75, "endTime": 3.0, "body": "Nooooo"},
        ],
    }
    (episode,) = parse_document(json.dumps(data), Path("x.json")).episodes
    assert [(s.speaker, s.text, s.start) for s in episode.segments] == [
        ("Darth Vader", "I am your father.", 0.5),
        ("Luke", "Nooooo", 2.75),
    ]


def test_json_that_is_no_transcript_is_rejected_with_a_reason() -> None:
    with pytest.raises(ParseError, match="looked for a list of objects with a time field"):
        parse_document('{"backup_timestamp": "2026"}', Path("headers.json"))


def test_html_transcript_paragraphs_with_speakers_and_times() -> None:
    html = "<html><body><cite>Travis:</cite>\n<time>0:53</time>\n<p>It&#39;s good audio.</p></body></html>"
    (episode,) = parse_document(html, Path("x.html")).episodes
    assert [(s.speaker, s.start, s.text) for s in episode.segments] == [("Travis", 53.0, "It's good audio.")]
