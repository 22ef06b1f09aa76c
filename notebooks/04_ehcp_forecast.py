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
# How many EHCPs the authority should plan for, from the DfE published series for this LA,
# with 80% and 95% prediction intervals. The method was chosen by testing every candidate on
# every English LA out of sample (forecasting past years from earlier data and comparing with
# what happened).

# %% tags=["parameters"]
cycle_id = "demo"
census_date = "2025-01-16"
la_code = "314"
new_la_code = "E09000021"
la_name = "Kingston upon Thames (synthetic person-level data)"
raw_dir = "data/raw/demo"
processed_dir = "data/processed/demo"
threshold = 5
horizon = 5
ethnicity_grouping = "dfe"

# %%
from sendlib.reports import notebook as nb
from sendlib.forecast import report
from sendlib.sources import published

nb.setup()
year = int(census_date[:4])
result = report.report_forecast(la_code, horizon=horizon)

# %% [markdown]
# ## Trend and forecast

# %%
nb.say(result.key_points())

# %%
result.plot();

# %%
nb.show(result.table(), caption="EHCP forecast (total)")

# %% [markdown]
# ## By age band and placement group
# Breakdown forecasts are reconciled so that they add up to the total.

# %%
nb.show(result.breakdown_table(), caption="Forecast by breakdown")

# %% [markdown]
# ## How accurate has this been?
# Errors of the chosen method and simple baselines when forecasting past years for this LA.

# %%
nb.show(result.accuracy_table(), caption="Backtest accuracy for this LA")

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
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping),
                   inputs=[f"{raw_dir}/{year}", *result.dfe_paths])
