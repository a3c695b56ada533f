"""Langfang 质量兴市 data platform: the Dagster code location and its ingestion machinery."""
