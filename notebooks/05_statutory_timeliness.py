# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Statutory timeliness
#
# Requests for EHC needs assessment, assessments, plans issued within the statutory 20 weeks
# (with and without exceptions), annual reviews held within 12 months, and tribunal appeals,
# from the person-level SEN2 data, against the plan's targets.

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
from sendlib import timeliness

nb.setup()
year = int(census_date[:4])
kpis = timeliness.load_kpis(processed_dir, threshold)

# %% [markdown]
# ## Key points

# %%
nb.say(timeliness.key_points(kpis, year, targets, comparison_figures))

# %% [markdown]
# ## Key indicators against target

# %%
nb.show(timeliness.kpi_table(kpis, year, targets), caption=f"Timeliness in the year before the {year} census", percent_cols=["value", "target", f"value in {year - 1}"])

# %% [markdown]
# ## 20-week timeliness over time

# %%
timeliness.plot_kpi_trend(kpis, targets);

# %% [markdown]
# ## Requests and assessments

# %%
nb.show(timeliness.activity_table(kpis), caption="Requests, assessments, plans issued and appeals by year")

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping,
                        targets=targets, comparison_figures=comparison_figures,
                        local_ethnicity_groups=local_ethnicity_groups, disproportionality=disproportionality),
                   inputs=[f"{raw_dir}/{year}"])
