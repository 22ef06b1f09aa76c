# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data quality: what arrived and what we did with it
#
# Every row of every extract is accounted for: kept as it was, corrected, or rejected with a
# reason. This report shows what arrived for this review cycle, the problems found, how much of
# each characteristic is unknown, and what changed since the last census.

# %% tags=["parameters"]
cycle_id = "demo"
census_date = "2025-01-16"
la_code = "314"
la_name = "Kingston upon Thames (synthetic person-level data)"
raw_dir = "data/raw/demo"
processed_dir = "data/processed/demo"
threshold = 5
ethnicity_grouping = "dfe"
targets = {"issued_within_20_weeks": 90, "issued_within_20_weeks_excluding_exceptions": 90,
           "annual_reviews_within_12_months": 100}
comparison_figures = {"sen_support_percent": {"England 2018": 11.7, "Kingston 2018": 8.2},
                      "tribunal_appeals": {"Kingston 2018": 22}}
local_ethnicity_groups = {"Chinese": ["CHNE"]}
disproportionality = {"cell_size": 10, "group_size": 30}

# %%
from sendlib.reports import notebook as nb
from sendlib import breakdowns
from sendlib.reports import quality
from sendlib.sources import published

nb.setup()
year = int(census_date[:4])
summary = quality.load_summaries(processed_dir)
by_year = breakdowns.year_tables(processed_dir, threshold, ethnicity_grouping)  # the published tables, every year

# %% [markdown]
# ## Key points

# %%
nb.say(quality.key_points(summary, year, by_year))

# %% [markdown]
# ## What arrived
# Rows read from each file of the latest census, and what happened to them. Rows read always
# equal rows kept plus rows rejected.

# %%
nb.show(quality.files_table(summary[year]), caption=f"Files of the {year} census")

# %% [markdown]
# ## Problems found, by rule
# Each problem is one cell or row that broke a rule. Corrected values were repaired with
# certainty (a date in another format, a code in another spelling); values that could not be
# repaired are set to unknown; rows that cannot be used (duplicates, orphans) are rejected.

# %%
nb.show(quality.rules_table(processed_dir, year), caption="Problems by rule and action")

# %% [markdown]
# ## How much is unknown
# Unknown values limit what the equality assessment can say. Unknown ethnicity is a finding in
# its own right. A share is shown only where the published tables of its year show the unknowns'
# count (small numbers are combined with another group or withheld there, so they are here too).

# %%
unknowns = quality.unknown_shares(by_year)
quality.plot_unknown_shares(unknowns);

# %%
nb.show(quality.unknown_table(unknowns), caption=f"Share unknown by census year (c: not shown, fewer than {threshold} "
        "or combined with another group)")

# %% [markdown]
# ## Changes since the last census

# %%
nb.show(quality.changes_table(summary, year), caption=f"Rows kept, {year - 1} and {year}")

# %% [markdown]
# ## Published DfE figures for this LA
# The forecast uses the DfE's published series. Each figure is checked before use; these are the
# findings about this LA (a copied regional total, a total that disagrees with its own parts, an
# implausible jump, a revision), what was done, and the value used.

# %%
dfe_data = published.load_dfe()
nb.say([dfe_data.summary() + "."])
nb.show(published.checks_table(dfe_data.checks_for(la_code)), caption="DfE checks findings for this LA")

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, targets=targets, comparison_figures=comparison_figures,
                        local_ethnicity_groups=local_ethnicity_groups, disproportionality=disproportionality),
                   inputs=[f"{raw_dir}/{year}"])
