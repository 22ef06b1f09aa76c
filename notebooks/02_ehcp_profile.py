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
# Small groups are combined with others so that no count below the disclosure threshold is shown.

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
from sendlib import breakdowns, profile

nb.setup()
year = int(census_date[:4])
trend = profile.load_trend(processed_dir)
by_year = breakdowns.year_tables(processed_dir, threshold, ethnicity_grouping,  # the published tables, every year
                                 cell_size=disproportionality["cell_size"],
                                 n_size=disproportionality["group_size"])
published = by_year[year]

# %% [markdown]
# ## Key points

# %%
nb.say(profile.key_points(trend, year, threshold, by_year, comparison_figures))

# %% [markdown]
# ## EHCPs and SEN support over time

# %%
profile.plot_trend(trend, threshold);

# %%
nb.show(profile.trend_table(trend, threshold), caption="Pupils and young people by census year", percent_cols=["SEN support % of pupils"])

# %% [markdown]
# ## EHCP caseload at the census date
# Groups of fewer than five people are shown combined with others; a count that would still
# reveal one is not shown.

# %%
for topic in profile.CENSUS_CHARTS["EHCP"]:
    profile.plot_breakdown(published, "EHCP", topic)

# %% [markdown]
# ## How the mix has changed
# Shares of the EHCP caseload by primary need and by placement group, each census year, with
# the groups of that year's published tables.

# %%
profile.plot_share_trend(by_year, "Primary need");

# %%
profile.plot_share_trend(by_year, "Placement group");

# %% [markdown]
# ## SEN support at the census date

# %%
for topic in profile.CENSUS_CHARTS["SEN support"]:
    profile.plot_breakdown(published, "SEN support", topic)

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping,
                        targets=targets, comparison_figures=comparison_figures,
                        local_ethnicity_groups=local_ethnicity_groups, disproportionality=disproportionality),
                   inputs=[f"{raw_dir}/{year}"])
