"""Spreadsheets (.xlsx) written straight from rows: a workbook of plain sheets, each with a
frozen header row and every string in one shared table.

Why not openpyxl, which MAPS reads spreadsheets with: even in its write-only mode it builds an
object per cell, and the comparison's export (35,000 answers of 15 columns at demo size) took
it 5 s; written here as text it takes a tenth of that (bench: "comparison page export")."""

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_NOT_IN_NAMES = re.compile(r"[\[\]:*?/\\]")
_ROWS_PER_WRITE = 2000


class _Strings:
    """The shared string table: each distinct text once, cells refer to it by number. A text is
    passed through `clean` once, when first seen (a sheet repeats its texts many times)."""

    def __init__(self, clean: Callable[[str], str]):
        self.index: dict[str, int] = {}
        self.texts: list[str] = []
        self.count = 0
        self.clean = clean

    def row(self, values: list) -> str:
        """A row's cells, in order (no cell references: an empty cell is written as <c/>)."""
        cells = []
        for value in values:
            kind = value.__class__
            if kind is str:
                if not value:
                    cells.append("<c/>")
                    continue
                number = self.index.get(value)
                if number is None:
                    number = self.index[value] = len(self.texts)
                    self.texts.append(self.clean(value))
                self.count += 1
                cells.append(f'<c t="s"><v>{number}</v></c>')
            elif value is None:
                cells.append("<c/>")
            elif kind is bool:
                cells.append(f'<c t="b"><v>{int(value)}</v></c>')
            elif kind is int or kind is float:
                cells.append(f"<c><v>{value!r}</v></c>")
            else:  # dates and anything else, as text
                text = value.isoformat() if isinstance(value, date) else str(value)
                cells.append(self.row([text]))
        return "".join(cells)

    def xml(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>'
                        for text in self.texts)
        return (f'{_XML}<sst xmlns="{_MAIN}" count="{self.count}" '
                f'uniqueCount="{len(self.texts)}">{items}</sst>')


def _sheet(strings: _Strings, header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    yield (f'{_XML}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
           '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
           '</sheetView></sheetViews><sheetData>').encode()
    chunk: list[str] = []
    for number, row in enumerate(_with_header(header, rows), start=1):
        chunk.append(f'<row r="{number}">{strings.row(row)}</row>')
        if len(chunk) >= _ROWS_PER_WRITE:
            yield "".join(chunk).encode()
            chunk = []
    yield ("".join(chunk) + "</sheetData></worksheet>").encode()


def _with_header(header, rows):
    yield header
    yield from rows


def sheet_title(title: str, taken: set[str]) -> str:
    """A name a spreadsheet accepts: at most 31 characters, none of []:*?/\\, unique."""
    base = _NOT_IN_NAMES.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.casefold() in taken:
        name = f"{base[:28]} {n}"
        n += 1
    taken.add(name.casefold())
    return name


def workbook(sheets: dict[str, tuple[list[str], Iterable[list]]], *,
             clean: Callable[[str], str] = lambda text: text) -> bytes:
    """The .xlsx of these sheets: title -> (header, rows), rows of str, numbers, dates or None;
    each distinct text passed through `clean` once."""
    strings, taken, titles = _Strings(clean), set(), []
    out = io.BytesIO()
    # Level 1: the sheets are repetitive text, which compresses well even so, and fast.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for number, (title, (header, rows)) in enumerate(sheets.items(), start=1):
            titles.append(sheet_title(title, taken))
            with book.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                for piece in _sheet(strings, header, rows):
                    part.write(piece)
        book.writestr("xl/sharedStrings.xml", strings.xml())
        book.writestr("xl/styles.xml", _STYLES)
        sheet_list = "".join(f'<sheet name={quoteattr(t)} sheetId="{n}" r:id="rId{n}"/>'
                             for n, t in enumerate(titles, start=1))
        book.writestr("xl/workbook.xml", f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
                                         f'<sheets>{sheet_list}</sheets></workbook>')
        count = len(titles)
        rels = "".join(f'<Relationship Id="rId{n}" Type="{_RELS}/worksheet" '
                       f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, count + 1))
        rels += (f'<Relationship Id="rId{count + 1}" Type="{_RELS}/sharedStrings" '
                 f'Target="sharedStrings.xml"/><Relationship Id="rId{count + 2}" '
                 f'Type="{_RELS}/styles" Target="styles.xml"/>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}">{rels}</Relationships>')
        book.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}">'
                                     f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" '
                                     'Target="xl/workbook.xml"/></Relationships>')
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                            f'ContentType="{_SHEET_TYPE}"/>' for n in range(1, count + 1))
        book.writestr("[Content_Types].xml", _content_types(overrides))
    return out.getvalue()


def _content_types(overrides: str) -> str:
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{office}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
            f'{overrides}</Types>')


# The least style sheet a spreadsheet needs: one font, fill, border and cell format.
_STYLES = (f'{_XML}<styleSheet xmlns="{_MAIN}">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
           '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
           'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
           'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
           '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
