"""Helpers shared by every CSV/XLSX export."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Neutralise spreadsheet formula injection: a text cell that a spreadsheet
    would evaluate (=, +, -, @, tab, CR) is prefixed with an apostrophe, which
    Excel, LibreOffice and Google Sheets all treat as "this is text"."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class Echo:
    """A file-like sink for csv.writer that hands each row back for streaming."""

    def write(self, value):
        return value


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(columns, rows, filename: str):
    """A streamed CSV attachment (UTF-8 with a BOM so Excel reads it). ``rows`` is
    an iterable of already escaped rows (see ``safe_cell``)."""
    import csv

    from django.http import StreamingHttpResponse

    writer = csv.writer(Echo())

    def stream():
        yield "\ufeff"
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    return _attachment(response, filename)


def xlsx_download(columns, rows, filename: str, *, sheet_title: str):
    """An XLSX attachment written by xlsxwriter in constant-memory mode, every cell
    explicitly a string or a number, never a formula or a link."""
    import io

    import xlsxwriter
    from django.http import HttpResponse

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(sheet_title[:31])
    bold = workbook.add_format({"bold": True})
    for column, name in enumerate(columns):
        sheet.write_string(0, column, name, bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(number, column, value)
            else:
                sheet.write_number(number, column, value)
    workbook.close()
    return _attachment(HttpResponse(output.getvalue(), content_type=XLSX_TYPE), filename)
