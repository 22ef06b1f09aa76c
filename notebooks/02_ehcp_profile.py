# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # EHCP and SEN support profile
#
# Who holds an Education, Health and Care Plan (EHCP) and who receives SEN support in the
# school census: numbers and trends by age, primary need, sex, ethnicity and placement.
# Counts below the disclosure threshold are shown as "c".

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
from sendlib import equality, profile

nb.setup()
year = int(census_date[:4])
trend = profile.load_trend(processed_dir)
published = equality.build_tables(f"{processed_dir}/{year}", threshold=threshold,
                                  ethnicity_grouping=ethnicity_grouping)

# %% [markdown]
# ## EHCPs and SEN support over time

# %%
nb.say(profile.key_points(trend, year, threshold))

# %%
profile.plot_trend(trend, threshold);

# %%
nb.show(profile.trend_table(trend, threshold), caption="Pupils and young people by census year", percent_cols=["SEN support % of pupils"])

# %% [markdown]
# ## EHCP caseload at the census date
# Counts of 1 to 4, and any count that would reveal one, are suppressed and marked "c".

# %%
for topic in profile.CENSUS_CHARTS["EHCP"]:
    profile.plot_breakdown(published, "EHCP", topic)

# %% [markdown]
# ## How the mix has changed
# Shares of the EHCP caseload by primary need and by placement group, each census year.

# %%
profile.plot_share_trend(trend, "primary_need", threshold=threshold);

# %%
profile.plot_share_trend(trend, "placement_group", threshold=threshold);

# %% [markdown]
# ## SEN support at the census date

# %%
for topic in profile.CENSUS_CHARTS["SEN support"]:
    profile.plot_breakdown(published, "SEN support", topic)

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping),
                   inputs=[f"{raw_dir}/{year}"])
