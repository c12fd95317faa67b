"""The one kind of error whose text is safe to show a member as it stands.

The domain raises it; the bot's error funnel (bot/client.py `explain`) shows its text privately, so
cogs never catch it by hand. Anything else that escapes a command is logged and answered with an id.
"""


class UserError(Exception):
    """A request Rewind refuses; the message says why, in words for the member who asked."""


class InvalidInput(UserError, ValueError):
    """Something typed that cannot be used: a query, a date, a timezone, an episode, a feed address."""
