"""The Discord surface: slash commands, views and checks, thin over the domain in `bot/` and `storage/`."""
