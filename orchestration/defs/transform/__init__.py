"""The warehouse models (dbt) and their quality gates (Great Expectations), one step."""

from dagster import Definitions

from orchestration.defs.transform.assets import warehouse_models


def defs() -> Definitions:
    return Definitions(assets=[warehouse_models])
