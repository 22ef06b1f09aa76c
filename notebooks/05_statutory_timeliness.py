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
new_la_code = "E09000021"
la_name = "Kingston upon Thames (synthetic person-level data)"
raw_dir = "data/raw/demo"
processed_dir = "data/processed/demo"
threshold = 5
horizon = 5
ethnicity_grouping = "dfe"

# %%
from sendlib.reports import notebook as nb
from sendlib import timeliness

nb.setup()
year = int(census_date[:4])
kpis = timeliness.load_kpis(processed_dir, threshold)

# %% [markdown]
# ## Key indicators against target

# %%
nb.say(timeliness.key_points(kpis, year))

# %%
nb.show(timeliness.kpi_table(kpis, year), caption=f"Timeliness in the year before the {year} census", percent_cols=["value", "target", str(year - 1)])

# %% [markdown]
# ## 20-week timeliness over time

# %%
timeliness.plot_kpi_trend(kpis);

# %% [markdown]
# ## Requests and assessments

# %%
nb.show(timeliness.activity_table(kpis), caption="Requests, assessments, plans issued and appeals by year")

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping),
                   inputs=[f"{raw_dir}/{year}"])
