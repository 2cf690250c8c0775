"""Cells of the CSV files staff download, made safe to open in a spreadsheet."""

# Cells a spreadsheet would read as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cells(cells: list[str]) -> list[str]:
    """Cells with a leading apostrophe where a spreadsheet would start a formula."""
    return [f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell for cell in cells]
