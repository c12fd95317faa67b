"""`python -m bot` runs the bot (or the sample demo when no token is set)."""

import sys

from bot.cli import main

sys.exit(main(sys.argv[1:] or ["run"]))
