"""Importing Linkrunner export files (CSV, JSON array, JSON Lines) into the queue.

    import_files(db_path, paths, *, source=None, progress=None, cancel=None,
                 max_kept_rejections=10_000) -> ImportReport
    write_rejections_csv(report, path) -> int

Rows are numbered as a person finds them: CSV rows as a spreadsheet shows them (the
header is row 1, the first data row is row 2), JSON array records from 1, JSON Lines
by line number. No Qt here.
"""

from lr_desktop.importer.readers import MAX_FIELD, Unusable, open_records
from lr_desktop.importer.run import (
    ImportProgress,
    ImportReport,
    Rejection,
    import_files,
    write_rejections_csv,
)

__all__ = [
    "MAX_FIELD",
    "ImportProgress",
    "ImportReport",
    "Rejection",
    "Unusable",
    "import_files",
    "open_records",
    "write_rejections_csv",
]
