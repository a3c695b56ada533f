"""The daily refresh across capabilities, launched only when something is new
(up_to_date.py)."""

from dagster import Definitions


def defs() -> Definitions:
    # Imported here: up_to_date.py is read by the launcher before any code location loads.
    from orchestration.defs.refresh.jobs import (
        daily_refresh_schedule,
        new_deliveries_sensor,
        refresh_all_job,
    )

    return Definitions(
        jobs=[refresh_all_job],
        schedules=[daily_refresh_schedule],
        sensors=[new_deliveries_sensor],
    )
