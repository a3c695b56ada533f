"""Make the office round-trip fixtures in this folder (committed, so tests need no LibreOffice):

* libreoffice_resaved.xlsx — a filled 2015Y workbook of 市质监局 (SZJJ) opened and saved by
  LibreOffice Calc (`soffice --headless --convert-to xlsx`). LibreOffice recalculates the
  formula openpyxl wrote without a value, writes its own styles and shared strings, turns the
  veryHidden _meta sheet into a hidden one and drops the workbook structure lock.
* wps_style.xlsx — the LibreOffice file post-processed to look as WPS 表格 (Kingsoft) writes
  an xlsx; WPS is not available here, so what is reproduced is what WPS-saved files in public
  repositories show (see docs/feeds/submissions.md, "Office round trips"):
  docProps/app.xml with Application “WPS Office 个人版” and the 工作表 heading pairs,
  docProps/custom.xml with the KSOProductBuildVer (2052-… = zh-CN) and ICV properties, the
  built-in number formats 41–44 redefined with ￥, the date cells in the Chinese long date
  format yyyy"年"m"月"d"日", and creator Administrator. WPS writes shared strings, like Excel.
* openpyxl_original.xlsx — the workbook before the round trip, as the platform writes it
  (openpyxl 3.1: inline strings, t="inlineStr"; the formula without a saved value).

Run from the repository root with LibreOffice installed (apt-get install -y
libreoffice-calc-nogui): `python tests/data/submissions/make_office_fixtures.py`. The filled
content is `filled_form()`; tests/test_submission_office_files.py asserts what it must read as.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from orchestration.submissions import layout  # noqa: E402
from orchestration.submissions.filled import FilledForm  # noqa: E402
from orchestration.submissions.reporting import form_for  # noqa: E402
from tests.submission_helpers import complete, write  # noqa: E402

HERE = Path(__file__).resolve().parent
FORM = form_for("SZJJ", "2015Y")
RATE_KPI = "INTL_STANDARD_ADOPTION_RATE"
COUNT_KPI = "HUNDRED_ORGS_AWARD_APPLICATIONS"


def filled_form() -> FilledForm:
    """complete(SZJJ 2015Y) as a person types it: a formula for a rate, full-width digits,
    a date with dots, a percentage with its sign."""
    filled = complete(FORM)
    row = layout.FIRST_DATA_ROW + [m.kpi_code for m in FORM.metrics].index(RATE_KPI)
    filled.metrics[RATE_KPI] = {
        "numerator": 45,
        "denominator": 50,
        "value": f"=E{row}/F{row}",  # no saved value until an office program calculates it
        "prior_value": "85%",
    }
    filled.metrics[COUNT_KPI] = {"value": "１２０"}
    first_task = FORM.tasks[0].task_no
    filled.tasks[first_task]["completed_on"] = "2015.11.30"
    filled.cover["filled_on"] = date(2016, 1, 12)
    return filled


def _write_formula(filled: FilledForm, path: Path) -> None:
    """The template writer keeps a typed '=…' as text; a real formula needs openpyxl."""
    from openpyxl import load_workbook

    write(filled, path)
    workbook = load_workbook(path)
    sheet = workbook[layout.SHEET_METRICS]
    for row in sheet.iter_rows(min_row=layout.FIRST_DATA_ROW):
        cell = row[3]
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "f"
    workbook.save(path)


def _rewrite(path: Path, changes: dict[str, object]) -> None:
    """Rewrite parts of a zip: name → new text, or a function of the old text, or None to add
    nothing; names not in the zip are added."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    names = {info.filename for info, _ in entries}
    temporary = path.with_suffix(".tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            change = changes.get(info.filename)
            if callable(change):
                data = change(data.decode("utf-8")).encode("utf-8")
            elif isinstance(change, str):
                data = change.encode("utf-8")
            target.writestr(info, data)
        for name, change in changes.items():
            if name not in names and isinstance(change, str):
                target.writestr(name, change.encode("utf-8"))
    temporary.replace(path)


WPS_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>WPS Office 个人版</Application><HeadingPairs>"
    '<vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant>'
    "<vt:variant><vt:i4>5</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts>"
    '<vt:vector size="5" baseType="lpstr"><vt:lpstr>填报说明</vt:lpstr><vt:lpstr>封面</vt:lpstr>'
    "<vt:lpstr>任务进展</vt:lpstr><vt:lpstr>指标填报</vt:lpstr><vt:lpstr>_meta</vt:lpstr>"
    "</vt:vector></TitlesOfParts></Properties>"
)
WPS_CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="ICV">'
    "<vt:lpwstr>6C2E0B4A1D8F4C47A2B5E5A3F1C0D9E2</vt:lpwstr></property>"
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="KSOProductBuildVer">'
    "<vt:lpwstr>2052-11.1.0.11045</vt:lpwstr></property></Properties>"
)
WPS_NUMBER_FORMATS = (
    '<numFmt numFmtId="41" formatCode="_ * #,##0_ ;_ * \\-#,##0_ ;_ * &quot;-&quot;_ ;_ @_ "/>'
    '<numFmt numFmtId="42" formatCode="_ &quot;￥&quot;* #,##0_ ;_ &quot;￥&quot;* \\-#,##0_ ;'
    '_ &quot;￥&quot;* &quot;-&quot;_ ;_ @_ "/>'
    '<numFmt numFmtId="43" formatCode="_ * #,##0.00_ ;_ * \\-#,##0.00_ ;_ * &quot;-&quot;??_ ;'
    '_ @_ "/>'
    '<numFmt numFmtId="44" formatCode="_ &quot;￥&quot;* #,##0.00_ ;_ &quot;￥&quot;* '
    '\\-#,##0.00_ ;_ &quot;￥&quot;* &quot;-&quot;??_ ;_ @_ "/>'
)
CHINESE_DATE = "yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"


def _wps_styles(xml: str) -> str:
    # the date formats become the Chinese long date; 41–44 are added as WPS writes them
    xml = re.sub(r'formatCode="[^"]*(?:yyyy|YYYY)[^"]*"', f'formatCode="{CHINESE_DATE}"', xml)
    match = re.search(r'<numFmts count="(\d+)">', xml)
    if match:
        count = int(match.group(1)) + 4
        return xml.replace(match.group(0), f'<numFmts count="{count}">{WPS_NUMBER_FORMATS}', 1)
    return xml.replace("<fonts", f'<numFmts count="4">{WPS_NUMBER_FORMATS}</numFmts><fonts', 1)


def _wps_core(xml: str) -> str:
    xml = re.sub(r"<dc:creator>.*?</dc:creator>", "", xml)
    return xml.replace(
        "</cp:coreProperties>", "<dc:creator>Administrator</dc:creator></cp:coreProperties>"
    )


def _custom_rel(xml: str) -> str:
    rel = (
        '<Relationship Id="rIdWps1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
    )
    return (
        xml
        if "custom-properties" in xml
        else xml.replace("</Relationships>", rel + "</Relationships>")
    )


def _custom_type(xml: str) -> str:
    override = (
        '<Override PartName="/docProps/custom.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.custom-properties+xml"/>'
    )
    return xml if "/docProps/custom.xml" in xml else xml.replace("</Types>", override + "</Types>")


def make_wps(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with zipfile.ZipFile(target) as archive:
        has_custom = "docProps/custom.xml" in archive.namelist()
    _rewrite(
        target,
        {
            "docProps/app.xml": WPS_APP,
            "docProps/custom.xml": WPS_CUSTOM,
            "docProps/core.xml": _wps_core,
            "xl/styles.xml": _wps_styles,
            "_rels/.rels": _custom_rel,
            "[Content_Types].xml": _custom_type,
        },
    )
    assert has_custom or zipfile.ZipFile(target).read("docProps/custom.xml")


def main() -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("soffice not found: apt-get install -y libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        original = work / "filled.xlsx"
        _write_formula(filled_form(), original)
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{work / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(work / "out"),
                str(original),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        resaved = HERE / "libreoffice_resaved.xlsx"
        shutil.copyfile(work / "out" / "filled.xlsx", resaved)
        make_wps(resaved, HERE / "wps_style.xlsx")
        # the original as the platform writes it (openpyxl: inline strings, no saved value
        # for the formula), kept to show what the round trips changed
        shutil.copyfile(original, HERE / "openpyxl_original.xlsx")


if __name__ == "__main__":
    main()
