# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How we compare
#
# The LA's published SEND figures beside its region, England and comparable LAs: plans and their
# growth, where children and young people with a plan are placed, requests, assessments, new
# plans, 20-week timeliness and ceased plans. Every figure is DfE's own published figure (the
# "Education, health and care plans" releases), checked before use; nothing here comes from the
# LA's person-level data.

# %% tags=["parameters"]
cycle_id = "demo"
census_date = "2025-01-16"
la_code = "314"
la_name = "Kingston upon Thames (synthetic person-level data)"
statistical_neighbours = ""  # path of the DfE statistical neighbours list, if the LA supplies it

# %%
from sendlib.reports import notebook as nb
from sendlib import benchmark
from sendlib.benchmark import charts, ranks, tables
from sendlib.sources import published

nb.setup()
data = published.load_dfe()
b = benchmark.build(data, la_code, neighbours=statistical_neighbours or None)
latest = ranks.latest(b)
place = b.name(b.area)

# %% [markdown]
# ## Key points

# %%
nb.say(ranks.key_points(b, latest))

# %%
nb.say([f"Figures are those DfE publishes for {place} (LA {b.areas.loc[b.area, 'old_la_code']}, "
        f"{b.areas.loc[b.area, 'new_la_code']}), region {b.name(b.region)}.",
        f"Comparators: {len(b.comparators.codes)} LAs, {b.comparators.method}"
        + (f" (closest on size, growth and placement mix in {b.comparators.year})." if b.comparators.year else "."),
        "An outlier here is an LA among the highest or the lowest tenth of all LAs on a percentage; "
        "counts are ranked but never called outliers (a large LA has more of everything).",
        "No figure is per head of population: ONS population estimates by LA are not bundled with sendlib, "
        "so the report shows counts and shares only."])

# %% [markdown]
# ## Where we stand among all LAs

# %%
shown = latest.assign(**{col: [ranks.fmt(v, u) for v, u in zip(latest[col], latest["unit"])]
                         for col in ("value", "england", "region", "comparator_median")})
nb.show(shown.drop(columns=["indicator", "unit"]).rename(columns={
    "label": "indicator", "time_period": "year", "value": place, "region": b.name(b.region),
    "comparator_median": "comparators' median", "position": "outlier"}),
    caption="Latest published year of each indicator: rank 1 = highest value among LAs")

# %%
percentages = [n for n in latest["indicator"] if benchmark.INDICATORS[n].unit == "%"]
charts.rank_chart(b, latest, percentages);

# %% [markdown]
# ## Trends against the comparators

# %%
charts.trend_chart(b, ["plans_change_1y", "share_mainstream", "share_special", "share_independent_special",
                       "new_plans_per_request", "requests_not_refused", "assessments_to_plan",
                       "timeliness_20wk", "timeliness_20wk_noexc"]);

# %% [markdown]
# ## The comparators

# %%
nb.show(tables.comparators_table(b), caption=f"Comparators: {b.comparators.method}")

# %% [markdown]
# ## Sources
#
# Each indicator with the release and file of its figures for this LA, and the years each gives.
# The tables of this report, in the DfE open-data layout, are `tables/benchmark*.csv` in the
# cycle's downloads (`sendlib benchmark --la CODE OUT` writes them for any LA).

# %%
nb.show(tables.sources_table(b), caption="Sources of every indicator (DfE 'Education, health and care plans')")

# %%
nb.show(published.checks_table(b.checks), caption="What the checks found in the published figures of the areas shown")

# %% [markdown]
# ---

# %%
nb.show_provenance(dict(cycle_id=cycle_id, census_date=census_date, la_code=la_code, la_name=la_name,
                        statistical_neighbours=statistical_neighbours),
                   inputs=[*data.paths, *([statistical_neighbours] if statistical_neighbours else [])])
