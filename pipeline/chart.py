"""The framework matrix: a row per respondent with their attributes, a column per guide topic,
each cell holding what that respondent said about it (de-identified, with time stamps).

Built from the analyst store only. Written as CSV (spreadsheets), XLSX and a standalone HTML page.
"""

from __future__ import annotations

import csv
import html
import os
import tempfile
from pathlib import Path

from .store import Store

FORMATS = ("csv", "xlsx", "html")


def timestamp(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def matrix(store: Store, topics: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the matrix; attribute columns are the union of all sidecars' keys."""
    interviews = [i for i in store.interviews() if i.get("deid_pass")]
    attributes = sorted({k for i in interviews for k in i["metadata"]})
    header = ["interview", "respondent", *attributes, *topics]
    rows = []
    for interview in interviews:
        cells: dict[str, list[str]] = {t: [] for t in topics}
        for u in store.utterances(interview["id"]):
            if u["speaker"] != "interviewer" and u["topic"] in cells:
                cells[u["topic"]].append(f"[{timestamp(u['start'])}] {u['text']}")
        rows.append([
            interview["id"], interview["respondent_id"] or "",
            *[str(interview["metadata"].get(a, "")) for a in attributes],
            *["\n".join(cells[t]) for t in topics],
        ])
    return header, rows


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_csv(path: Path, header, rows) -> None:
    def write(tmp: Path):
        with open(tmp, "w", newline="", encoding="utf-8-sig") as f:  # BOM: Excel reads UTF-8
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
    _atomic(path, write)


def write_xlsx(path: Path, header, rows) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    def write(tmp: Path):
        book = Workbook()
        sheet = book.active
        sheet.title = "Framework matrix"
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for column in sheet.columns:
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "C2"
        book.save(tmp)
    _atomic(path, write)


def write_html(path: Path, header, rows, titles: dict[str, str]) -> None:
    head = "".join(f"<th>{html.escape(titles.get(h, h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f"<td>{'<br>'.join(html.escape(line) for line in cell.splitlines())}</td>"
            for cell in row
        ) + "</tr>"
        for row in rows
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Framework matrix</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: .4rem; vertical-align: top; font-size: .9rem; }}
th {{ background: #eef; position: sticky; top: 0; }}
td {{ max-width: 28rem; }}
</style></head>
<body><h1>Framework matrix</h1>
<p>Rows are respondents, columns interview-guide topics; cells hold what the respondent said
(de-identified text, with time stamps).</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>
"""
    _atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))


def write_chart(store: Store, guide, out: Path, formats=FORMATS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    header, rows = matrix(store, [t.id for t in guide.topics])
    titles = {t.id: t.title for t in guide.topics}
    written = []
    for fmt in formats:
        path = out / f"chart.{fmt}"
        if fmt == "csv":
            write_csv(path, header, rows)
        elif fmt == "xlsx":
            write_xlsx(path, header, rows)
        else:
            write_html(path, header, rows, titles)
        written.append(path)
    return written
