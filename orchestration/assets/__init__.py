"""Dagster assets: ingestion (raw/*), dbt models, publication."""
