"""sendlib: SEND intelligence pipeline for English local authorities.

Stages, one module each: `synthetic` (demo data), `readers` and `cleaning` (raw extracts to
validated, pseudonymised tables), `cohorts` (EHCP caseload, SEN support, breakdowns),
`disclosure` and `equality` (published tables), `sources.dfe` and `forecast` (DfE series and
EHCP forecasts), `reports` (review-cycle notebooks and HTML).
"""
__version__ = "0.1.0"
