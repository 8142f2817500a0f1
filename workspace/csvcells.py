"""CSV for spreadsheets: cells that a spreadsheet would run as a formula are neutralised."""
import csv
import io

from flask import Response


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Spreadsheets run cells that start with = + - @ as formulas, also after leading spaces, tabs or line
    breaks (which they skip): neutralise them with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS or text.lstrip(" \t\r\n")[:1] in FORMULA_STARTS else text


def csv_response(header, rows, filename: str) -> Response:
    """A CSV download of `header` and `rows`, every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
