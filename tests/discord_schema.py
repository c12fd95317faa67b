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


def limit_errors(body: Any) -> list[str]:
    """Discord's documented limits that its schema does not state, for a message or callback body."""
    if not isinstance(body, dict):
        return []
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    errors = []
    if len(data.get("content") or "") > 2000:
        errors.append("content over 2000 characters")
    embeds = data.get("embeds") or []
    if len(embeds) > 10:
        errors.append("more than 10 embeds")
    if sum(_embed_size(embed) for embed in embeds) > 6000:
        errors.append("embeds over 6000 characters together")
    for embed in embeds:
        errors += _embed_errors(embed)
    rows = data.get("components") or []
    if len(rows) > 5 or any(len(row.get("components", [])) > 5 for row in rows):
        errors.append("more than 5 rows or 5 buttons a row")
    for row in rows:
        for item in row.get("components", []):
            if len(item.get("custom_id", "")) > 100 or len(item.get("label") or "") > 80:
                errors.append(f"component {item.get('custom_id')!r}: custom_id over 100 or label over 80")
    choices = data.get("choices") or []
    if len(choices) > 25 or any(len(c["name"]) > 100 or len(str(c["value"])) > 100 for c in choices):
        errors.append("more than 25 choices, or one over 100 characters")
    if (data.get("content") or embeds) and data.get("allowed_mentions") != {"parse": []}:
        errors.append("a message without allowed_mentions none")
    return errors


def _embed_size(embed: dict[str, Any]) -> int:
    fields = embed.get("fields", [])
    parts = [embed.get("title"), embed.get("description"), (embed.get("footer") or {}).get("text")]
    parts += [(embed.get("author") or {}).get("name")]
    return sum(len(p or "") for p in parts) + sum(len(f["name"]) + len(f["value"]) for f in fields)


def _embed_errors(embed: dict[str, Any]) -> list[str]:
    limits = {"title": 256, "description": 4096}
    errors = [f"embed {key} over {most}" for key, most in limits.items() if len(embed.get(key) or "") > most]
    fields = embed.get("fields", [])
    if len(fields) > 25 or any(len(f["name"]) > 256 or len(f["value"]) > 1024 for f in fields):
        errors.append("embed fields: more than 25, or a name over 256 or a value over 1024")
    if len((embed.get("footer") or {}).get("text") or "") > 2048:
        errors.append("embed footer over 2048")
    return errors
