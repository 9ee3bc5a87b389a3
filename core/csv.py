"""CSV cells the registry writes (exports of the API and of the oversight dashboard) and
reads back (the import of an export, ``csv_text``).

Text that a spreadsheet would run as a formula is prefixed with ``'``; so is text that
begins with ``'`` itself, so that reading a cell back removes exactly the one ``'`` its
writing added: ``csv_text(csv_cell(text)) == text`` for every text.
"""

import datetime as dt

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# What a cell's text must not begin with unquoted: a formula, or the quote itself.
QUOTED_PREFIXES = (*FORMULA_PREFIXES, QUOTE)
# How the items of a list share one cell.
LIST_SEPARATOR = ";"


def csv_cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula (or that begins with the
    quote) is prefixed with ``'``."""
    if type(value) is str:  # the common case first: exports call this for every cell
        return QUOTE + value if value.startswith(QUOTED_PREFIXES) else value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list | tuple):
        # Neutralised one by one; the joined text begins like its first item.
        return LIST_SEPARATOR.join(
            [
                item
                if item.__class__ is str and not item.startswith(QUOTED_PREFIXES)
                else csv_cell(item)
                for item in value
            ]
        )
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(QUOTED_PREFIXES):
        return QUOTE + text
    return text


def csv_text(cell: str) -> str:
    """The text a cell of ``csv_cell`` holds: its quote, if any, taken off (never
    evaluated: a formula stays the text it is)."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def csv_items(cell: str) -> list[str]:
    """The texts of a list's cell (``csv_cell`` of a list): none for an empty cell."""
    return [csv_text(item) for item in cell.split(LIST_SEPARATOR)] if cell else []


class Echo:
    """A file-like object that hands back what is written, for streaming ``csv.writer``."""

    def write(self, value):
        return value
