"""How a KPI's target reads in a form: the catalogue's comparator and target value in a few
characters (≥ 92, 是, 同比提高 …). One wording for the submission templates and the export."""

from __future__ import annotations


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def target_text(comparator: str | None, value: float | None, *, is_rank: bool = False) -> str:
    """E.g. ≥ 92, 是, 0（不发生）, 同比提高; `is_rank`: a rank improves when its number goes
    down (位次同比提升)."""
    shown = _number(value) if value is not None else ""
    if comparator == "is_true":
        return "是"
    if comparator == "zero_events":
        return "0（不发生）"
    if comparator == "increase_pct_yoy":
        return f"同比增幅 ≥ {shown}%"
    if comparator == "increase_pp_yoy":
        return f"同比提高 ≥ {shown}个百分点"
    if comparator == "increase_yoy":
        return "同比提高"
    if comparator == "decrease_yoy":
        return "位次同比提升" if is_rank else "同比降低"
    symbols = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "="}
    if comparator in symbols and value is not None:
        return f"{symbols[comparator]} {shown}"
    return "见指标定义"
