"""Injected mistakes, judged by the feed contract: a value a generator types on purpose as a
contract violation must be one the contract refuses, read the way ingestion reads it
(orchestration.ingest.normalise.parser_for), so a mistake and the rule it breaks cannot drift
apart. The rule stays written once, in orchestration/feeds/<feed>.yaml.

An adapter over `ColumnSpec` (type, required, values, min/max) until the contract module
offers its own violations API; generators call only the functions below."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from orchestration.ingest.contract import ColumnSpec, load_contract
from orchestration.ingest.normalise import normalise_text, parser_for
from orchestration.ingest.readers import CellValue


class NotAViolation(ValueError):
    """A mistake the generator meant to inject is one the contract accepts."""


@cache
def column_spec(feed: str, name: str) -> ColumnSpec:
    return load_contract(feed).column(name)


def problem(feed: str, name: str, value: CellValue) -> str | None:
    """Why the contract refuses `value` in column `name` of `feed` (None: it accepts it).
    The cell alone: rules across columns and the delivery period are not judged here."""
    spec = column_spec(feed, name)
    if value is None or normalise_text(value) in load_contract(feed).empty_values:
        return f"{spec.label} is empty" if spec.required else None
    return parser_for(spec)(value)[1]


def violating(feed: str, names: str | Sequence[str], candidates: Iterable[str]) -> tuple[str, ...]:
    """The candidates the contract refuses for the column (for each of several columns), in
    order: what a mistake may type (e.g. a county outside Langfang). A candidate the contract
    has come to accept is dropped; none left is an error of the generator."""
    columns = (names,) if isinstance(names, str) else tuple(names)
    return _violating(feed, columns, tuple(candidates))


@cache
def _violating(feed: str, columns: tuple[str, ...], candidates: tuple[str, ...]) -> tuple[str, ...]:
    kept = tuple(
        value
        for value in candidates
        if all(problem(feed, name, value) is not None for name in columns)
    )
    if not kept:
        raise NotAViolation(f"{feed}.{columns}: the contract accepts every candidate mistake")
    return kept


def checked(feed: str, name: str, value: CellValue) -> CellValue:
    """`value`, after making sure the contract refuses it in that column."""
    if problem(feed, name, value) is None:
        raise NotAViolation(f"{feed}.{name}: the contract accepts {value!r}")
    return value


def missing(feed: str, name: str) -> str:
    """An empty cell where the contract requires a value."""
    if not column_spec(feed, name).required:
        raise NotAViolation(f"{feed}.{name} may be empty")
    return ""


def below_minimum(feed: str, name: str, amount: float) -> float:
    """`amount` (> 0) below the column's minimum: e.g. -12.5 where the minimum is 0."""
    minimum = column_spec(feed, name).minimum
    if minimum is None or amount <= 0:
        raise NotAViolation(f"{feed}.{name} has no minimum to go below (or amount <= 0)")
    return minimum - amount
