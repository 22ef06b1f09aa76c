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
# The tables an equality impact assessment (EqIA) needs for the protected characteristics that
# the SEND data record: age, disability (primary need), sex and race (ethnicity). Groups of fewer
# than five people are combined with others, and any count that would still reveal one is
# withheld ("c"). The same tables are published as CSV (DfE open-data layout) and Excel files
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
                               n_size=disproportionality["group_size"], census_date=census_date)

# %% [markdown]
# ## Key points

# %%
nb.say(equality.key_points(tables))

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
# ## The assessment: for its author to complete
# What the data show, for each protected characteristic. Gender reassignment, marriage and civil
# partnership, pregnancy and maternity, religion or belief and sexual orientation are not recorded
# in the SEN2 return or the school census, so these tables cannot show them. Whether a decision has
# an impact, and what would mitigate it, is a judgement for the council: those fields are left
# for the assessment's author (the Excel file has the same sheet, ready to fill in).

# %%
nb.show(equality.assessment_rows(tables), caption="Equality assessment (judgements to be completed by the author)")

# %% [markdown]
# ## Disclosure check
# Every withheld count has been checked: the totals published here leave each of them at least
# as many possible values as the threshold.

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
