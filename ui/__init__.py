"""What every cog shows the same way: embeds, choices, pagers, private replies and posts to channels.

Not a cog: the cogs and the bot object (bot/client.py) import it, and it imports neither.
"""
