"""Check what the bot sends against Discord's OpenAPI description (../shared/discord-api-spec)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from tests.conftest import SHARED

SPEC = SHARED / "discord-api-spec" / "openapi.json"


@cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in _spec()["paths"]]


def request_errors(method: str, path: str, body: Any) -> list[str]:
    """Every way `body` breaks the documented JSON request schema of `method path` (empty when valid)."""
    template = next((t for pattern, t in _templates() if pattern.match(path)), None)
    if template is None:
        return [f"{method} {path} is not in Discord's API description"]
    operation = _spec()["paths"][template].get(method.lower())
    if operation is None:
        return [f"{method} is not documented for {template}"]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return [] if body is None else [f"{method} {template} takes no JSON body"]
    schema = {**content["application/json"]["schema"], "components": _spec()["components"]}
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft202012Validator(schema).iter_errors(body)
    ]
