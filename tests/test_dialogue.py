from pathlib import Path

from bot.ingest.lines import parse_lines
from bot.ingest.parse import parse_document

PLAIN = """

SHOW PODCAST EPISODE 12 WITH ANA LOPES

Kirill: This is episode number 12 with Ana.

(background music plays)

Ana: Hi. Glad to be back.

Kirill: So, we are talking about testing today.
and this line continues Kirill's turn.

- Ana: Yes, that's right.
- Kirill: Great.
"""


def test_name_colon_dialogue_with_dash_lines_and_stage_directions() -> None:
    document = parse_document(PLAIN, Path("show-12.txt"))
    (episode,) = document.episodes
    assert document.format == "dialogue"
    assert episode.real_speakers
    turns = [(s.speaker, s.text) for s in episode.segments]
    assert ("Ana", "Hi. Glad to be back.") in turns
    assert ("Kirill", "and this line continues Kirill's turn.") in turns
    assert ("Ana", "Yes, that's right.") in turns
    assert not any("background music" in text for _, text in turns)
    assert episode.meta.number == 12


def test_bold_markdown_names_and_escaped_timestamps() -> None:
    text = (
        "**Daniel Whitenack:** Welcome to the show. \\[laughter\\] Glad you are here.\n\n"
        "**Mat Ryer:** Thanks. \\[01:05\\] So the model is small, and \\[01:10\\] it runs offline.\n"
    )
    utterances = parse_lines(text)
    assert utterances[0].speaker == "Daniel Whitenack"
    assert "laughter" not in utterances[0].text
    timed = [(u.start, u.text) for u in utterances if u.speaker == "Mat Ryer"]
    assert timed == [(None, "Thanks."), (65.0, "So the model is small, and"), (70.0, "it runs offline.")]


def test_front_matter_and_speaker_headers_with_times() -> None:
    text = (
        "---\ntitle: Pieter Wuille (part 1)\nspeakers:\n  - Pieter Wuille\ndate: 2020-01-28\n"
        "media: https://www.youtube.com/watch?v=s0XopkGcN9U\nepisode: 1\n---\n"
        "Stephan Livera: 00:00:05\n\nWelcome to the show.\n\n"
        "Pieter Wuille 00:02:14\n\nThanks for having me.\n\n"
        "Stephan Livera – 00:03:20:\nSo tell us about it.\n\n"
        "Pieter Wuille:\nIt started in 2012.\n"
    )
    document = parse_document(text, Path("2020-01-28-pieter-wuille.md"))
    (episode,) = document.episodes
    assert (episode.meta.title, str(episode.meta.published), episode.meta.number) == (
        "Pieter Wuille (part 1)",
        "2020-01-28",
        1,
    )
    assert episode.meta.url == "https://www.youtube.com/watch?v=s0XopkGcN9U"
    assert [(s.speaker, s.start) for s in episode.segments] == [
        ("Stephan Livera", 5.0),
        ("Pieter Wuille", 134.0),
        ("Stephan Livera", 200.0),
        ("Pieter Wuille", 200.0),
    ]
