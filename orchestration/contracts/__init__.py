"""What the feed contracts (orchestration/feeds/<feed>.yaml) compile into: the GX expectations
on each staged table (suite.py), the rules table of each feed's doc (docs.py), and the ways a
row can break each rule, for sample generators and tests (violations.py). The contract is the
one place a rule is written; everything here is generated from it."""
