# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # EHCP forecast
#
# How many EHCPs the authority should plan for, with 80% and 95% prediction intervals. The
# forecast starts from the LA's own latest count (its cleaned SEN2 data) when that is later than
# the DfE's published series, which it uses as history. Every published figure is checked before
# use, a plausibility guard flags (and replaces) forecasts the history does not support, and the
# method was chosen on early years and scored on later years the choice never saw.

# %% tags=["parameters"]
cycle_id = "demo"
census_date = "2025-01-16"
la_code = "314"
la_name = "Kingston upon Thames (synthetic person-level data)"
raw_dir = "data/raw/demo"
processed_dir = "data/processed/demo"
threshold = 5
horizon = 5
ethnicity_grouping = "dfe"
targets = {"issued_within_20_weeks": 90, "issued_within_20_weeks_excluding_exceptions": 90,
           "annual_reviews_within_12_months": 100}
comparison_figures = {"sen_support_percent": {"England 2018": 11.7, "Kingston 2018": 8.2},
                      "tribunal_appeals": {"Kingston 2018": 22}}
local_ethnicity_groups = {"Chinese": ["CHNE"]}
disproportionality = {"cell_size": 10, "group_size": 30}

# %%
from sendlib.reports import notebook as nb
from sendlib.forecast import report
from sendlib.sources import published

nb.setup()
year = int(census_date[:4])
result = report.report_forecast(la_code, horizon=horizon, processed_dir=processed_dir, threshold=threshold)

# %% [markdown]
# ## Key points

# %%
nb.say(result.key_points())

# %% [markdown]
# ## Trend and forecast

# %%
result.plot();

# %%
nb.show(result.table(), caption="EHCP forecast (total)")

# %% [markdown]
# ## The LA's own counts and the DfE's
# The LA's cleaned data and the DfE's published figures count the same plans at the same
# January census; a difference of more than a few percent points to a wrong LA code or a data
# problem.

# %%
nb.show(result.consistency_table(), caption="EHCPs at the January census: the LA's own count and the DfE figure")

# %% [markdown]
# ## Plausibility guard
# A forecast outside the growth that this LA's and England's recent history support is flagged
# and replaced by a simpler method's; inputs out of line with other LAs' are bounded and flagged.

# %%
nb.show(result.flags_table(), caption="Plausibility guard flags for this LA")

# %% [markdown]
# ## By age band and placement group
# Breakdown forecasts are reconciled so that they add up to the total.

# %%
nb.show(result.breakdown_table(), caption="Forecast by breakdown")

# %% [markdown]
# ## How accurate has this been, out of time?
# The method was chosen on forecasts whose outcomes were known by an early cutoff, then scored on
# later forecasts that the choice never saw, side by side with simple methods. The second table
# shows how the intervals held in each recent year, not only on average.
#
# The 80% and 95% ranges come from how far the method's own forecasts were out in earlier years,
# the latest years counting most (chosen the same way, on early years only). They describe years
# like the recent ones: a national change on the scale of the 2014 reforms would take the count
# outside them.

# %%
nb.show(result.accuracy_table(), caption="Out-of-time accuracy: all LAs and this LA")

# %%
nb.show(result.coverage_by_origin_table(), caption="Out-of-time accuracy of the chosen method, by origin")
nb.say([result.coverage_band_point()])

# %% [markdown]
# ## Checks of the published figures
# Every DfE figure is checked before it is used (copied aggregates, totals that disagree with
# their own parts, impossible or implausible values, revisions between releases). The findings
# about this LA, and what was done with each figure:

# %%
nb.show(published.checks_table(result.checks), caption="DfE checks findings for this LA")

# %% [markdown]
# ## Person-level projection
# A projection from the SEN2 person-level data: joiners by school year, leavers and moves
# between placements (a Markov cohort model), compared with the aggregate forecast.

# %%
comparison = report.person_level_comparison(processed_dir)

# %%
nb.show(comparison, caption="Held-out years: projections against what happened", percent_cols=["error %"])

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping,
                        targets=targets, comparison_figures=comparison_figures,
                        local_ethnicity_groups=local_ethnicity_groups, disproportionality=disproportionality),
                   inputs=[f"{raw_dir}/{year}", *result.dfe_paths])
