# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Equality assessment: EHCP and SEN support
#
# The tables an equality assessment (EqIA) needs for the protected characteristics that are
# relevant to SEND services: age, disability (primary need), sex and race (ethnicity). Counts of
# 1 to 4 are suppressed ("c"), and further cells are suppressed where needed so that no suppressed
# count can be worked out from the totals. The same tables are published as CSV and Excel files
# with this report.

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
targets = {"issued_within_20_weeks": 90, "issued_within_20_weeks_excluding_exceptions": 90,
           "annual_reviews_within_12_months": 100}
comparison_figures = {"sen_support_percent": {"England 2018": 11.7, "Kingston 2018": 8.2},
                      "tribunal_appeals": {"Kingston 2018": 22}}
local_ethnicity_groups = {"Chinese": ["CHNE"]}
disproportionality = {"cell_size": 10, "group_size": 30}

# %%
from sendlib.reports import notebook as nb
from sendlib import equality

nb.setup()
year = int(census_date[:4])
tables = equality.build_tables(f"{processed_dir}/{year}", threshold=threshold,
                               ethnicity_grouping=ethnicity_grouping, la_code=la_code,
                               new_la_code=new_la_code, la_name=la_name,
                               cell_size=disproportionality["cell_size"],
                               n_size=disproportionality["group_size"])

# %% [markdown]
# ## Age
# Children and young people aged 0-25 may hold an EHCP. Age is taken at 31 August before the census.

# %%
equality.plot_risk_ratios(tables, "age_eqia");

# %%
equality.show_topic(tables, "age")

# %% [markdown]
# ## Disability: primary need
# Every child or young person in these cohorts has a special educational need; the primary need
# shows which kinds of need, and therefore which services, a change would affect most.

# %%
equality.show_topic(tables, "need")

# %% [markdown]
# ## Sex

# %%
equality.show_topic(tables, "sex")

# %% [markdown]
# ## Race: ethnicity
# The risk ratio compares the share of pupils of a group who are in the cohort with the share of
# all other pupils. A group is flagged only when it is large enough to judge and the 95%
# confidence interval excludes 1.

# %%
equality.plot_risk_ratios(tables, "ethnicity_major");

# %%
equality.show_topic(tables, "ethnicity")

# %% [markdown]
# ## Placement

# %%
equality.show_topic(tables, "placement")

# %% [markdown]
# ## Other protected characteristics
# Gender reassignment, marriage and civil partnership, pregnancy and maternity, religion or
# belief and sexual orientation: **low relevance**. These are not recorded in the SEN2 return or
# the school census; no differential impact is expected from SEND placement decisions.

# %% [markdown]
# ## Disclosure check
# Every suppressed cell has been checked: the totals published here do not narrow any suppressed
# count to fewer than the threshold of possible values.

# %%
nb.show(equality.audit_summary(tables), caption="Disclosure audit")

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        threshold=threshold, horizon=horizon, ethnicity_grouping=ethnicity_grouping,
                        targets=targets, comparison_figures=comparison_figures,
                        local_ethnicity_groups=local_ethnicity_groups, disproportionality=disproportionality),
                   inputs=[f"{raw_dir}/{year}"])
