"""Reading a CSV file of board members (name, email, agency, level) and reporting, row by row,
everything wrong with it: a file is imported whole or not at all."""

import csv
import io
import re
from dataclasses import dataclass, field

from app.models import Agency, Level
from app.services.rounds import NewInvite, person_problems

COLUMNS = ("name", "email", "agency", "level")
MAX_BYTES = 1_000_000
MAX_ROWS = 500


@dataclass(frozen=True)
class Problem:
    row: int | None  # as a spreadsheet numbers it: the header is row 1
    column: str | None
    problem: str
    fix: str


@dataclass
class CsvResult:
    invites: list[NewInvite] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _whole_file(problem: str, fix: str) -> CsvResult:
    return CsvResult(problems=[Problem(None, None, problem, fix)])


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel's plain "CSV (Comma delimited)" on Windows.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def read(data: bytes, *, agencies: list[Agency], already_invited: set[str],
         too_big: bool = False) -> CsvResult:
    """Check every row; `invites` is only filled when there is no problem at all."""
    save_as = "Save the spreadsheet as ‘CSV UTF-8 (Comma delimited)’ and upload that file"
    if too_big:
        return _whole_file(f"The file is larger than {MAX_BYTES // 1_000_000} MB",
                           f"Upload at most {MAX_ROWS} board members per file")
    if not data.strip():
        return _whole_file("The file is empty",
                           "Upload a CSV file with a header row name,email,agency,level and "
                           "one row per board member")
    if data.startswith(b"PK\x03\x04"):
        return _whole_file("The file is an Excel workbook or other zipped file, not a CSV file",
                           save_as)
    text = _decode(data) if b"\x00" not in data else None
    if text is None:
        return _whole_file("The file is not a CSV file (it is not text)", save_as)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return _whole_file(f"The file cannot be read as CSV ({exc})", save_as)
    header = [_key(h) for h in rows[0]]
    problems = [Problem(1, column, f"The column ‘{column}’ is missing",
                        f"Add a column headed ‘{column}’ to the first row")
                for column in COLUMNS if column not in header]
    problems += [Problem(1, column, f"There are {header.count(column)} columns headed "
                                    f"‘{column}’", "Keep one column with this heading")
                 for column in COLUMNS if header.count(column) > 1]
    if problems:
        return CsvResult(problems=problems)
    body = [(number, row) for number, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)]
    if not body:
        return _whole_file("The file has a header row but no board members",
                           "Add one row per board member under the header row")
    if len(body) > MAX_ROWS:
        return _whole_file(f"The file has {len(body)} board members; MAPS takes up to "
                           f"{MAX_ROWS} at a time", "Split the file into smaller files")
    return _rows(body, header, agencies, already_invited)


def _rows(body, header, agencies, already_invited) -> CsvResult:
    by_name = {_key(a.name): a for a in agencies}
    agency_list = "; ".join(a.name for a in agencies) or "none yet"
    result = CsvResult()
    seen: dict[str, int] = {}
    for number, row in body:
        cells = {column: (row[header.index(column)] if header.index(column) < len(row)
                          else "").strip() for column in COLUMNS}
        name, email, level = cells["name"], cells["email"].lower(), cells["level"].lower()
        row_problems = [Problem(number, column, problem, fix) for column, (problem, fix)
                        in person_problems(name, email, level).items()]
        if not any(p.column == "email" for p in row_problems):
            if email in seen:
                row_problems.append(Problem(number, "email", f"{email} is also on row "
                                            f"{seen[email]}", "Remove the repeated row"))
            elif email in already_invited:
                row_problems.append(Problem(number, "email",
                                            f"{email} is already invited to this round",
                                            "Remove the row, or withdraw the earlier invite"))
            seen.setdefault(email, number)
        agency = by_name.get(_key(cells["agency"]))
        if not cells["agency"]:
            row_problems.append(Problem(number, "agency", "The agency is empty",
                                        f"Enter one of this partnership's agencies: "
                                        f"{agency_list}"))
        elif agency is None:
            row_problems.append(Problem(number, "agency", f"‘{cells['agency'][:80]}’ is not one "
                                        "of this partnership's agencies",
                                        f"Use one of: {agency_list}; or add the agency on the "
                                        "partnership page first"))
        result.problems += sorted(row_problems, key=lambda p: COLUMNS.index(p.column))
        if not row_problems:
            result.invites.append(NewInvite(name, email, agency, Level(level) if level else None))
    if result.problems:
        result.invites = []
    return result
