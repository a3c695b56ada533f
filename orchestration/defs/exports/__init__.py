"""The bureau's workbooks, exported from the published file by the warehouse step after each
publication (defs/transform/assets.py); their spec and writer live here."""
