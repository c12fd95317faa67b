"""Discord's limits on what a message shows, and the one way Rewind cuts text to fit them.

A leaf (nothing from the project), so rendering, the daily post, the new-episode posts and the
autocomplete choices all cut text the same way.
"""

CONTENT_LIMIT = 2000  # a message's text
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000  # all of one embed's text
EMBEDS_PER_MESSAGE = 10
MAX_CHOICES = 25  # autocomplete suggestions
MAX_CHOICE_LENGTH = 100  # a suggestion's name and its value


def clip(text: str, limit: int) -> str:
    """`text` cut on a word boundary to at most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut fell inside a word: drop that word
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip().rstrip(",;:") + "…"
