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
