"""The bureau's Excel export: one workbook per assessment year, read from the published file.

The rows come from `orchestration/publication/reader.py` (the one reader of the published
file); `layouts.py` says what each sheet shows (as data), `cells.py` writes a value so data can
never become a formula, `workbook.py` lays the sheets out as government forms and saves them
byte-reproducibly."""
