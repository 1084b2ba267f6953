"""Helpers shared by every CSV/XLSX export."""

import unicodedata

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Neutralise spreadsheet formula injection: a text cell that a spreadsheet
    would evaluate is prefixed with an apostrophe, which Excel, LibreOffice and
    Google Sheets all treat as "this is text". A cell counts when it starts with
    =, +, -, @, a tab, CR or LF, also after leading spaces (" =1+1": spreadsheets
    trim them) and in full-width or other compatibility forms ("＝1+1": some
    spreadsheets read U+FF1D as "=")."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    first = value.lstrip(" \u00a0\u3000")[:1]
    if first and unicodedata.normalize("NFKC", first).startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class Echo:
    """A file-like sink for csv.writer that hands each row back for streaming."""

    def write(self, value):
        return value


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows are sent in batches of about this many characters: one chunk per row
# would cost a WSGI write per row on a 1.5-million-row export.
CSV_CHUNK_CHARS = 64 * 1024


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_chunks(columns, rows):
    """CSV text in chunks: a UTF-8 byte order mark (so Excel reads the encoding),
    the header, then ``rows`` (already escaped, see ``safe_cell``)."""
    import csv

    writer = csv.writer(Echo())
    batch = ["\ufeff", writer.writerow(columns)]
    size = 0
    for row in rows:
        line = writer.writerow(row)
        batch.append(line)
        size += len(line)
        if size >= CSV_CHUNK_CHARS:
            yield "".join(batch)
            batch, size = [], 0
    yield "".join(batch)


def csv_download(columns, rows, filename: str):
    """A streamed CSV attachment. ``rows`` is an iterable of already escaped rows."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(
        csv_chunks(columns, rows), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename)


def xlsx_download(columns, rows, filename: str, *, sheet_title: str):
    """A streamed XLSX attachment (``skills_app.xlsx``): every text cell a string,
    never a formula or a link; bytes leave as they are compressed."""
    from django.http import StreamingHttpResponse

    from skills_app.xlsx import stream_xlsx

    response = StreamingHttpResponse(
        stream_xlsx(columns, rows, sheet_title=sheet_title), content_type=XLSX_TYPE
    )
    return _attachment(response, filename)
