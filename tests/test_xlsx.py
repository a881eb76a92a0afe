"""Spreadsheets written as text (app/services/xlsx.py) read back cell for cell by openpyxl,
gaps and awkward text included."""

import io
import zipfile
from datetime import date

from openpyxl import load_workbook

from app.services import xlsx


def test_a_workbook_reads_back_cell_for_cell():
    rows = [["A & B <c>", 1, 2.5, None, True, date(2026, 3, 4)],
            ["", None, 0, "  spaced  ", False, "A & B <c>"],
            ["=1+1", -3, 1e-9, "line\nbreak", None, None]]
    body = xlsx.workbook({"Scores: a/b [1]": (["h1", "h2", "h3", "h4", "h5", "h6"], rows),
                          "Scores: a/b [2]": (["only"], [[n] for n in range(3)])},
                         clean=lambda text: "'" + text if text.startswith("=") else text)
    book = load_workbook(io.BytesIO(body))
    # Names a spreadsheet refuses ([]:*?/\) replaced, at most 31 characters, kept distinct.
    assert book.sheetnames == ["Scores  a b  1", "Scores  a b  2"]
    first = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert first[0] == ["h1", "h2", "h3", "h4", "h5", "h6"]
    assert first[1] == ["A & B <c>", 1, 2.5, None, True, "2026-03-04"]
    assert first[2] == [None, None, 0, "  spaced  ", False, "A & B <c>"]
    assert first[3] == ["'=1+1", -3, 1e-9, "line\nbreak", None, None]
    assert [r[0] for r in book.worksheets[1].iter_rows(values_only=True)] == ["only", 0, 1, 2]
    with zipfile.ZipFile(io.BytesIO(body)) as parts:
        shared = parts.read("xl/sharedStrings.xml").decode()
    assert shared.count("A &amp; B &lt;c&gt;") == 1  # each text once


def test_sheet_titles_are_unique_and_short():
    taken: set[str] = set()
    names = [xlsx.sheet_title("x" * 40, taken), xlsx.sheet_title("x" * 40, taken),
             xlsx.sheet_title("???", taken)]
    assert names[0] == "x" * 31 and names[1] == "x" * 28 + " 2" and names[2] == "Sheet"
    assert all(len(n) <= 31 for n in names)
