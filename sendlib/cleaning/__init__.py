"""`sendlib clean RAW_DIR OUT_DIR --census-date YYYY-MM-DD`: one census year's raw extracts to
validated, pseudonymised tables, with every problem logged.

The steps of :func:`clean` (one progress line each, through logging): read the extracts
(:mod:`sendlib.readers`, as ``spec/raw_files.yml`` declares them); apply the cell rules of each
column's type (:mod:`.cells`: ids, dates, codes, ranks, numbers); resolve duplicates on each
file's key and reject orphans of each link (:mod:`.rows`); pseudonymise and build the tables:
persons (:mod:`.persons`), the caseload and its annual reviews (:mod:`.caseload`,
:mod:`.placements`), requests, assessments, new and ceased plans (:mod:`.events`), pupils and SEN
support (:mod:`.pupils`), population (:mod:`.population`); validate them against
:mod:`sendlib.schemas`; write Parquet, ``quality_report.csv``, ``quality_summary.json`` and
``metadata.json`` (:mod:`.summary`).

Every problem is one row of ``quality_report.csv`` with the rule's name and an action
(corrected, set unknown, rejected); each module above lists the rules it applies. Blank sex and
ethnicity are "not recorded", not a defect: they count as unknown in ``quality_summary.json``.

Personal data (the columns the spec marks ``personal``: names, birth dates, UPNs, ULNs,
postcodes) is never written. The quality report shows a raw value of a person-level file only
when it is a code (:mod:`.withheld`: anything shaped like a postcode, UPN, ULN, date or name is
withheld wherever it appears, so a swapped header or a shifted row leaks nothing), identifies
rows by SEN2 table id or, in the school census, by row number and pseudonymous ``person_id``,
and is written with formula text neutralised. Rows the reader cannot take as records (a
truncated or shifted row, the header again, an XLSX formula, a row on an unrelated sheet) are
rejected under the reader's reason, so rows read still equal rows kept plus rows rejected.
The output folder may not lie inside the raw folder; the census date must be a SEN2 census year.

Every input row is accounted for: rows read = rows kept + rows rejected, per file.
"""
from __future__ import annotations

from sendlib.cleaning.pipeline import CleanResult, build_tables, clean, write
from sendlib.cleaning.quality import CORRECTED, QUALITY_COLUMNS, REJECTED, SET_UNKNOWN, QualityLog
from sendlib.cleaning.withheld import WITHHELD

__all__ = ["CORRECTED", "QUALITY_COLUMNS", "REJECTED", "SET_UNKNOWN", "WITHHELD", "CleanResult", "QualityLog",
           "build_tables", "clean", "write"]
