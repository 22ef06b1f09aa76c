"""Equality-assessment (EqIA) tables for the EHCP caseload and SEN support, with disclosure control
and disproportionality (`sendlib equality PROCESSED_DIR OUT_DIR`).

For each cohort the tables are: age (EqIA bands and DfE bands), school year, primary need, sex,
ethnicity (major groups and detailed), placement group, primary need by sex and ethnicity by age
band. Every table has its categories, an ``Unknown`` row, ``Total known`` and ``Total``; `percent`
is the share of the total (of the row group in a cross-tabulation) and `percent_of_known` the share
of those whose value is known.

Conventions:

- Age is taken at 31 August before the census, and the school year is the national curriculum
  year *for age* (age - 5), as in Kingston's published tables and the SEN2 return; so age bands are
  exact sums of school years, which the disclosure control takes into account.
- Disproportionality (sex, ethnicity and age bands): the risk of being in the cohort for pupils of a
  group in the school census, against all other pupils in the census (those whose value is unknown
  included, so that a small unknown count does not force the ratios to be withheld). The school census is
  the denominator, so the numerator is the cohort *in the school census*: pupils with SEN provision
  ``E`` for EHCPs (EHCP holders outside schools have no denominator) and ``K`` for SEN support. The
  risk ratio's 95% confidence interval uses Katz's log method. A group is flagged only when its
  cohort count is at least `cell_size` (default 10) and its pupils at least `n_size` (default 30),
  the same holds for the comparison group (the minimum sizes of the US federal method for special
  education disproportionality), and the interval excludes 1: ``Higher`` or ``Lower``; otherwise
  ``No difference shown`` or ``Too small to judge``.
- Tables are redesigned before suppression: small groups are combined into stated groups
  ("0-10", "Other White (Traveller of Irish heritage; Gypsy / Roma)", "Male or unknown"), so that
  suppression hides little and never a large count. Disclosure control (:mod:`sendlib.disclosure`)
  then covers every count published, the pupils and the cohort-in-census counts included; a
  percentage, risk or ratio is published only where every count it is computed from is published.
  Suppressed cells are ``c``; ``z`` means not applicable (a total, or a group with no pupils in
  the census).

One module per job, in the order of the work:

- :mod:`~sendlib.equality.topics`: what is broken down, and the names of cells;
- :mod:`~sendlib.equality.categories`: each characteristic's categories and each person's;
- :mod:`~sendlib.equality.inputs`: the processed tables and metadata counted from;
- :mod:`~sendlib.equality.groups`: combined groups, their labels and what a label holds;
- :mod:`~sendlib.equality.design`: each cohort's tables redesigned (small groups combined) before
  suppression;
- :mod:`~sendlib.equality.relations`: the additive relations a reader knows;
- :mod:`~sendlib.equality.counts`: every cell counted, before disclosure control;
- :mod:`~sendlib.equality.risk`: risk ratios and their flags;
- :mod:`~sendlib.equality.publication`: suppression and the published tidy table;
- :mod:`~sendlib.equality.audit`: the auditor's view of the published table;
- :mod:`~sendlib.equality.wording`, :mod:`~sendlib.equality.layout`, :mod:`~sendlib.equality.plot`:
  findings and notes, tables laid out for reading, the forest plot;
- :mod:`~sendlib.equality.opendata`: the DfE open-data layout (geography, metadata file);
- :mod:`~sendlib.equality.pages`, :mod:`~sendlib.equality.workbook`, :mod:`~sendlib.equality.files`:
  HTML (through :mod:`sendlib.render`), Excel, and the files written beside each other.
"""
from __future__ import annotations

from sendlib.equality.audit import audit_summary, audit_tables, published_cells
from sendlib.equality.categories import categories, characteristics
from sendlib.equality.counts import CountedTables, count_tables
from sendlib.equality.files import write_tables
from sendlib.equality.layout import display_table
from sendlib.equality.pages import show_topic, tables_html, topic_html
from sendlib.equality.plot import plot_risk_ratios
from sendlib.equality.publication import (
    NOT_APPLICABLE,
    SUPPRESSED,
    academic_year_code,
    build_tables,
    hidden_counts,
    protect_tables,
    publish,
)
from sendlib.equality.relations import relations_for
from sendlib.equality.risk import disproportionality, risk_ratio
from sendlib.equality.topics import (
    COHORTS,
    COLUMNS,
    GROUPS,
    KNOWN,
    PUPILS,
    SEP,
    SPECIAL,
    TOPIC,
    TOPIC_BY_LABEL,
    TOPICS,
    TOTAL,
    UNKNOWN,
    Topic,
)
from sendlib.equality.wording import assessment_rows, findings, key_points, suppression_note
from sendlib.equality.workbook import write_xlsx

__all__ = [
    "COHORTS", "COLUMNS", "GROUPS", "KNOWN", "NOT_APPLICABLE", "PUPILS", "SEP", "SPECIAL", "SUPPRESSED",
    "TOPIC", "TOPIC_BY_LABEL", "TOPICS", "TOTAL", "UNKNOWN", "CountedTables", "Topic",
    "academic_year_code", "assessment_rows", "audit_summary", "audit_tables", "build_tables", "categories",
    "characteristics", "count_tables", "display_table", "disproportionality", "findings", "hidden_counts",
    "key_points", "plot_risk_ratios", "protect_tables", "publish", "published_cells", "relations_for", "risk_ratio",
    "show_topic",
    "suppression_note", "tables_html", "topic_html", "write_tables", "write_xlsx",
]
