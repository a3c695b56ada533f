"""What a unit typed into its workbook, cell by cell, before any parsing: the sample
generator and the tests describe filled workbooks with this, the template writer writes it."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.ingest.readers import CellValue
from orchestration.submissions.reporting import UnitForm


@dataclass
class FilledForm:
    form: UnitForm
    # layout.COVER_FIELDS key → cell value; a prefilled key given here overrides the template.
    cover: dict[str, CellValue] = field(default_factory=dict)
    # task_no → layout.TASK_COLUMNS key (editable ones) → cell value, for the template's rows.
    tasks: dict[int, dict[str, CellValue]] = field(default_factory=dict)
    # kpi_code → layout.METRIC_COLUMNS key (editable ones) → cell value.
    metrics: dict[str, dict[str, CellValue]] = field(default_factory=dict)
    # Rows appended below the template's task rows, keyed by any TASK_COLUMNS key (a unit
    # reporting on a task it does not hold is written this way).
    extra_task_rows: list[dict[str, CellValue]] = field(default_factory=list)
    # _meta key → value overriding what the template writes (a tampered or foreign file).
    meta_overrides: dict[str, str] = field(default_factory=dict)
