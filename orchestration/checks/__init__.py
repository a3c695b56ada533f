"""Asset checks: Great Expectations suites run as blocking Dagster checks."""
