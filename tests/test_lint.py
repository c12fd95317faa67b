"""The house rules are part of the suite: ruff's checks, including the ban on `discord` outside cogs/."""

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_finds_nothing() -> None:
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_imports_without_discord() -> None:
    code = "import sys, bot.cli, bot.ingest.indexer, storage; sys.exit('discord' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0


def test_code_is_ruff_formatted() -> None:
    command = [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", str(REPO)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
