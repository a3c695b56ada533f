"""Values that can be right but probably are not: far from the unit's own history, or outside
the plausible range of the KPI (seed ref_kpi_plausible_ranges, one row per KPI: the ranges live
with the metric definitions, not here). A 分母 typed in persons instead of 万人 gives 0.0004
辆/万人: readable, possible arithmetic, and wrong.

Such a value is returned for confirmation, its cell named. The unit either corrects it or
confirms it by writing layout.CONFIRMATION_CODE (确认：数值无误) in the row's 备注; a confirmed
row is accepted as typed. What is impossible (a rate outside 0–100 %, a negative count) is not
here: it is a rule of the metric kind (cell_values), refused outright."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from orchestration.reference import load_seed
from orchestration.submissions import layout
from orchestration.submissions.reporting import MetricLine

SEED = "ref_kpi_plausible_ranges"
# Problem kinds a unit may confirm (the others must be corrected).
CONFIRMABLE_KINDS = frozenset({"implausible_value", "far_from_history"})


@dataclass(frozen=True)
class Range:
    min_value: float | None
    max_value: float | None
    min_denominator: float | None
    max_denominator: float | None
    max_change_factor: float | None
    change_floor: float | None


@dataclass(frozen=True)
class Finding:
    key: str  # layout.METRIC_COLUMNS key of the cell to name
    kind: str
    message: str


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def ranges() -> dict[str, Range]:
    return {
        row["kpi_code"]: Range(
            *(
                _number(row[name])
                for name in (
                    "min_value",
                    "max_value",
                    "min_denominator",
                    "max_denominator",
                    "max_change_factor",
                    "change_floor",
                )
            )
        )
        for row in load_seed(SEED)
    }


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).replace(":", "")


def is_confirmed(note: object) -> bool:
    """备注 contains the confirmation code (spaces, a full- or half-width colon or none)."""
    return isinstance(note, str) and _fold(layout.CONFIRMATION_CODE) in _fold(note)


_CONFIRM = f"如数值确实无误，请在本行“备注”中填写“{layout.CONFIRMATION_CODE}”后重新报送"


def _outside(value: float, low: float | None, high: float | None) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def _span(low: float | None, high: float | None) -> str:
    if low is None:
        return f"不大于 {high:g}"
    if high is None:
        return f"不小于 {low:g}"
    return f"{low:g}–{high:g}"


def _times(value: float, reference: float) -> str:
    ratio = value / reference
    return f"{ratio:.1f} 倍" if ratio >= 1 else f"1/{1 / ratio:.0f}"


def findings(
    line: MetricLine, values: dict[str, Any], history: tuple[float, str] | None
) -> list[Finding]:
    """What needs confirmation in one parsed metric row (its typed `values`); `history` is
    the unit's latest accepted comparable value and its period label, if any."""
    limits = ranges().get(line.kpi_code)
    if limits is None or line.kind == "boolean":
        return []
    found: list[Finding] = []
    value, prior = values.get("value"), values.get("prior_value")
    denominator = values.get("denominator")
    # For a rate or ratio the value is 分子/分母: name the cell the unit typed.
    value_key = "numerator" if line.uses_fraction else "value"
    what = "分子/分母" if line.uses_fraction else "本期数值"
    unit = line.unit if line.unit not in ("%", "是/否") else ("%" if line.unit == "%" else "")
    if isinstance(denominator, float) and _outside(
        denominator, limits.min_denominator, limits.max_denominator
    ):
        found.append(
            Finding(
                "denominator",
                "implausible_value",
                f"分母 {denominator:.12g} 超出合理范围（"
                f"{_span(limits.min_denominator, limits.max_denominator)}，"
                f"{line.denominator_label}）：请核对计量单位；{_CONFIRM}",
            )
        )
    if isinstance(value, float) and _outside(value, limits.min_value, limits.max_value):
        found.append(
            Finding(
                value_key,
                "implausible_value",
                f"{what} = {value:.4g}{unit} 超出合理范围（"
                f"{_span(limits.min_value, limits.max_value)}{unit}）：请核对；{_CONFIRM}",
            )
        )
    if isinstance(prior, float) and _outside(prior, limits.min_value, limits.max_value):
        found.append(
            Finding(
                "prior_value",
                "implausible_value",
                f"上年数值 {prior:g}{unit} 超出合理范围（"
                f"{_span(limits.min_value, limits.max_value)}{unit}）：请核对；{_CONFIRM}",
            )
        )
    if found or not isinstance(value, float) or limits.max_change_factor is None:
        return found
    references = []
    if isinstance(prior, float):
        references.append(("本行上年数值", prior))
    if history is not None:
        references.append((f"本单位已受理的{history[1]}数值", history[0]))
    for source, reference in references:
        if _far(value, reference, limits):
            found.append(
                Finding(
                    value_key,
                    "far_from_history",
                    f"{what} = {value:.4g}{unit} 是{source} {reference:g}{unit} 的 "
                    f"{_times(value, reference)}：请核对；{_CONFIRM}",
                )
            )
            break
    return found


def _far(value: float, reference: float, limits: Range) -> bool:
    if value <= 0 or reference <= 0 or limits.max_change_factor is None:
        return False
    if max(value, reference) < (limits.change_floor or 0):
        return False
    factor = max(value, reference) / min(value, reference)
    return factor > limits.max_change_factor
