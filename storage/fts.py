"""A neutral `TermQuery` as an FTS5 MATCH expression. Every term is quoted here, so no FTS5
syntax a member types (operators, columns, `*`, `NEAR`) reaches the engine."""

from __future__ import annotations

from models.search import Group, TermQuery


def match_expression(plan: TermQuery) -> str:
    """The plan's groups, phrases and NEAR group ANDed, then its alternatives ORed; "" for an empty plan."""
    near = [f"NEAR({' '.join(map(quote_term, plan.near))}, {plan.within})"] if plan.near else []
    required = " AND ".join([*(_any_of(group) for group in plan.groups), *(_phrase(p) for p in plan.phrases), *near])
    if not plan.alternatives:
        return required
    either = " OR ".join(f"({' AND '.join(_any_of(group) for group in option)})" for option in plan.alternatives)
    return f"{required} AND ({either})" if required else either


def quote_term(text: str) -> str:
    """An FTS5 string literal: the text in double quotes, inner quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _phrase(terms: tuple[str, ...]) -> str:
    return quote_term(" ".join(terms))


def _any_of(group: Group) -> str:
    if len(group) == 1:
        return quote_term(group[0])
    return "(" + " OR ".join(quote_term(term) for term in group) + ")"
