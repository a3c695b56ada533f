"""The feed contracts' keys for dbt, generated into `dbt_project/macros/contract_keys.sql`.

    python -m orchestration.contracts.dbt_keys --write   # rewrite the macro file
    python -m orchestration.contracts.dbt_keys --check   # exit 1 when it is stale

dbt cannot read the contracts' YAML, so the one fact its tests take from them, each feed's key
(as staged columns), is generated into a macro that the generic test `contract_key`
(`dbt_project/tests/generic/contract_key.sql`) reads: one current row per key in each
`int_<feed>__current`. A test checks the file is what the contracts generate."""

from __future__ import annotations

import argparse
import sys

from orchestration.contracts.staged import staged_model
from orchestration.ingest.contract import feed_names, load_contract
from orchestration.settings import DBT_PROJECT_DIR

MACRO_PATH = DBT_PROJECT_DIR / "macros" / "contract_keys.sql"


def contract_keys() -> dict[str, list[str]]:
    """Each feed's key, as the staged (and current) models name its columns."""
    keys = {}
    for feed in feed_names():
        contract = load_contract(feed)
        model = staged_model(contract)
        keys[feed] = [model.column_of(name) or name for name in contract.key]
    return keys


def macro_text() -> str:
    entries = ",\n".join(
        f"        '{feed}': [{', '.join(repr(c) for c in columns)}]"
        for feed, columns in contract_keys().items()
    )
    return (
        "{#- Generated from orchestration/feeds/<feed>.yaml (`key`) by\n"
        "    `python -m orchestration.contracts.dbt_keys --write`: do not edit. -#}\n"
        "{% macro contract_key_columns(feed) %}\n"
        "    {%- set keys = {\n"
        f"{entries}\n"
        "    } -%}\n"
        "    {{ return(keys[feed]) }}\n"
        "{% endmacro %}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    current = MACRO_PATH.read_text(encoding="utf-8") if MACRO_PATH.exists() else ""
    if args.check:
        if current != macro_text():
            print(f"{MACRO_PATH}: stale; run with --write")
            return 1
        return 0
    if current != macro_text():
        MACRO_PATH.write_text(macro_text(), encoding="utf-8")
        print(f"rewrote {MACRO_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
