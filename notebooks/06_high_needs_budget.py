# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # High needs budget
#
# What the EHC plans forecast means for the High Needs Block of the Dedicated Schools Grant:
# spend, the in-year shortfall after savings and the cumulative DSG shortfall by financial year,
# for the forecast and for each scenario in the finance config, with 80% and 95% intervals drawn
# from the forecast's own distribution. A financial year's plans are the average of the two
# January censuses it spans.

# %% tags=["parameters"]
cycle_id = "demo"
census_date = "2025-01-16"
la_code = "314"
la_name = "Kingston upon Thames (synthetic person-level data)"
processed_dir = "data/processed/demo"
horizon = 5

# %%
from sendlib.finance import report
from sendlib.reports import notebook as nb

nb.setup()
budget = report.report_budget(cycle_id, la_code, horizon=horizon, processed_dir=processed_dir)
nb.headline(budget.headline())

# %% [markdown]
# ## Key points

# %%
nb.say(budget.key_points())

# %% [markdown]
# ## The High Needs Block account
# In the layout of the DSG management plan, at the forecast's central figures (£m; savings and
# other funding shown negative). Cumulative shortfall = last year's + in-year shortfall after
# savings - other funding.

# %%
nb.show(budget.dsg_table(), caption="High Needs Block: forecast, no further action (£m)")

# %% [markdown]
# ## Scenarios
# The cumulative shortfall of every scenario with its 80% and 95% bands; the dashed line is the
# forecast with no further action. All scenarios share the same simulated futures, so the
# differences between them are the scenarios' own.

# %%
budget.plot();

# %%
nb.show(budget.intervals_table(), caption="Spend and shortfalls with 80% and 95% intervals (£m)")

# %% [markdown]
# ## Where the uncertainty comes from
# The spread of the final cumulative shortfall when only the plan forecast varies, against when
# only the unit-cost uplifts vary.

# %%
nb.show(budget.uncertainty_table(), caption="Share of the uncertainty in the final cumulative shortfall")

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        horizon=horizon, finance_config=str(report.config_path())),
                   inputs=[*budget.sources, processed_dir])
