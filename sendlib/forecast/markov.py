"""Person-level Markov cohort projection of the EHCP caseload (the kind of model witan.send uses).

From two or more yearly caseload extracts (one row per active plan at each January census, with a
pseudonymous `person_id`, `ncy`, `primary_need`, `placement_group`) the model estimates, per
transition year t -> t+1:

- joiner rates by NCY: people on the caseload at t+1 and not at t, per head of the population of
  that NCY (pupils or ONS; without a population, rates are per year, i.e. joiner counts);
- leaver probabilities by NCY at t: people on the caseload at t and not at t+1;
- placement moves: for people on both, the probability of each placement group at t+1 given the
  group at t and the phase at t+1 (pooled over years);
- the need and placement mix of joiners by phase (pooled over years).

Primary need is carried by the person (it rarely changes; not modelled as a transition).
The projection moves everyone up one NCY a year; everyone past the last NCY (age 25) leaves.
Intervals come from simulation: each simulated year draws one observed transition year's joiner
and leaver rates (year-to-year variation) and then binomial leavers, multinomial placement moves
and Poisson joiners (individual chance).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError

NCY_MIN, NCY_MAX = -2, 20  # Nursery 1 to age 25 (NCY = age - 5)
PHASES = [(-2, 0, "early years"), (1, 6, "primary"), (7, 11, "secondary"), (12, 14, "post-16"),
          (15, 20, "19-25")]
REQUIRED = ["census_year", "person_id", "ncy", "primary_need", "placement_group"]
LEVELS = {"lower80": 0.10, "upper80": 0.90, "lower95": 0.025, "upper95": 0.975}


def caseload_from_tables(tables: dict) -> pd.DataFrame:
    """Return one caseload frame (columns :data:`REQUIRED`) from cleaned `ehcp_caseload` tables
    keyed by census year (``{2019: df, 2020: df, ...}``)."""
    frames = []
    for year, df in sorted(tables.items()):
        missing = [c for c in REQUIRED[1:] if c not in df.columns]
        if missing:
            raise SendlibInputError(f"ehcp_caseload of {year} lacks column(s) {missing}")
        frames.append(df[REQUIRED[1:]].assign(census_year=int(year)))
    return pd.concat(frames, ignore_index=True)[REQUIRED]


def phase_of(ncy: np.ndarray) -> np.ndarray:
    """Return the phase index (0..4, see PHASES) of national curriculum years."""
    ncy = np.clip(np.asarray(ncy), NCY_MIN, NCY_MAX)
    out = np.zeros(ncy.shape, dtype=int)
    for i, (lo, hi, _) in enumerate(PHASES):
        out[(ncy >= lo) & (ncy <= hi)] = i
    return out


@dataclass
class MarkovCohortResult:
    """Estimated rates and the state at the last census; :meth:`forecast` simulates forward."""

    years: list[int]
    needs: list[str]
    placements: list[str]
    state: np.ndarray            # counts at the last census: ncy x need x placement
    joiner_rates: np.ndarray     # transition years x ncy (per head of population, or counts)
    leaver_probs: np.ndarray     # transition years x ncy (NCY at the start of the year)
    move_probs: np.ndarray       # phase x from placement x to placement
    joiner_mix: np.ndarray       # phase x need x placement (sums to 1 per phase)
    population: np.ndarray | None  # future years x ncy, or None (rates are counts)

    @property
    def ncy_values(self) -> np.ndarray:
        return np.arange(NCY_MIN, NCY_MAX + 1)

    def simulate(self, horizon: int, n_sims: int = 1000, seed: int = 0) -> np.ndarray:
        """Return simulated caseloads: sims x horizon x ncy x need x placement."""
        rng = np.random.default_rng(seed)
        n_ncy, n_need, n_pl = self.state.shape
        phase_next = phase_of(self.ncy_values)
        out = np.zeros((n_sims, horizon, n_ncy, n_need, n_pl), dtype=np.int64)
        state = np.broadcast_to(self.state, (n_sims, *self.state.shape)).copy()
        n_years = self.joiner_rates.shape[0]
        for h in range(horizon):
            pick = rng.integers(0, n_years, size=n_sims)           # which observed year's rates
            leave = self.leaver_probs[pick]                          # sims x ncy
            stay = rng.binomial(state, 1.0 - leave[:, :, None, None])
            # placement moves, by the phase of the year they move into
            moved = np.zeros_like(stay)
            for i in range(n_ncy - 1):
                probs = self.move_probs[phase_next[i + 1]]           # from x to
                draws = rng.multinomial(stay[:, i], np.broadcast_to(probs, (*stay[:, i].shape, n_pl)))
                moved[:, i] = draws.sum(axis=-2)                     # sum over the placement moved from
            aged = np.zeros_like(stay)
            aged[:, 1:] = moved[:, :-1]                              # up one NCY; the last NCY leaves
            pop = self.population[h] if self.population is not None else np.ones(n_ncy)
            expected = self.joiner_rates[pick] * pop[None, :]        # sims x ncy
            joiners = rng.poisson(np.maximum(expected, 0.0))
            mix = self.joiner_mix[phase_of(self.ncy_values)].reshape(n_ncy, -1)
            cells = rng.multinomial(joiners, np.broadcast_to(mix, (n_sims, n_ncy, mix.shape[1])))
            state = aged + cells.reshape(n_sims, n_ncy, n_need, n_pl)
            out[:, h] = state
        return out

    def forecast(self, horizon: int = 5, by: str = "total", n_sims: int = 1000, seed: int = 0) -> pd.DataFrame:
        """Return projections by `by` ('total', 'ncy', 'primary_need' or 'placement_group'):
        columns year, horizon, breakdown, point (median of simulations), mean, lower80, upper80,
        lower95, upper95."""
        sims = self.simulate(horizon, n_sims, seed)
        axes = {"total": None, "ncy": 2, "primary_need": 3, "placement_group": 4}
        if by not in axes:
            raise SendlibInputError(f"unknown breakdown {by!r}", hint=f"choose from {', '.join(axes)}")
        labels = {"ncy": [str(v) for v in self.ncy_values], "primary_need": self.needs,
                  "placement_group": self.placements}
        rows = []
        for h in range(horizon):
            s = sims[:, h]
            if by == "total":
                groups = {"Total": s.sum(axis=(1, 2, 3))}
            else:
                keep = int(axes[by] or 0) - 1
                other = tuple(a for a in (1, 2, 3) if a != keep)
                per = s.sum(axis=other)
                groups = {lab: per[:, j] for j, lab in enumerate(labels[by])}
            for lab, v in groups.items():
                rec = {"year": self.years[-1] + h + 1, "horizon": h + 1, "breakdown": lab,
                       "point": float(np.median(v)), "mean": float(np.mean(v))}
                rec.update({k: float(np.quantile(v, q)) for k, q in LEVELS.items()})
                rows.append(rec)
        return pd.DataFrame(rows)


class MarkovCohortModel:
    """Estimate the Markov cohort model from yearly caseload extracts (see the module docstring).

    caseload: rows of every census year with columns :data:`REQUIRED`.
    population: optional, columns census_year, ncy, population (history and, for the projection,
        future years; missing future years repeat the last known year).
    """

    def __init__(self, caseload: pd.DataFrame, population: pd.DataFrame | None = None):
        missing = [c for c in REQUIRED if c not in caseload.columns]
        if missing:
            raise SendlibInputError(f"caseload extract lacks column(s) {missing}",
                                    hint="pass the cleaned ehcp_caseload tables of each census year "
                                         "with a census_year column")
        years = sorted(int(y) for y in caseload["census_year"].unique())
        if len(years) < 2:
            raise SendlibInputError("the Markov model needs caseload extracts of at least two census years")
        if any(b - a != 1 for a, b in itertools.pairwise(years)):
            raise SendlibInputError(f"census years {years} are not consecutive")
        self.caseload = caseload[REQUIRED].copy()
        self.caseload["ncy"] = pd.to_numeric(self.caseload["ncy"], errors="coerce").clip(NCY_MIN, NCY_MAX)
        self.caseload = self.caseload.dropna(subset=["ncy"])
        self.caseload["ncy"] = self.caseload["ncy"].astype(int)
        self.population = population
        self.years = years

    def _population(self, year: int) -> np.ndarray:
        ncy = np.arange(NCY_MIN, NCY_MAX + 1)
        if self.population is None:
            return np.ones(len(ncy))
        p = self.population
        known = sorted(int(y) for y in p["census_year"].unique() if int(y) <= year)
        if not known:
            raise SendlibInputError(f"no population for census year {year} or before")
        rows = p[p["census_year"] == known[-1]].set_index("ncy")["population"]
        return rows.reindex(ncy).fillna(0.0).to_numpy(dtype=float)

    def fit(self) -> MarkovCohortResult:
        """Return the estimated rates (see :class:`MarkovCohortResult`)."""
        c = self.caseload
        needs = sorted(c["primary_need"].astype(str).unique())
        placements = sorted(c["placement_group"].astype(str).unique())
        ncy_values = np.arange(NCY_MIN, NCY_MAX + 1)
        n_ncy, n_pl, n_phase = len(ncy_values), len(placements), len(PHASES)
        pl_index = {p: i for i, p in enumerate(placements)}
        need_index = {n: i for i, n in enumerate(needs)}
        joiner_rates, leaver_probs = [], []
        moves = np.zeros((n_phase, n_pl, n_pl))
        mix = np.zeros((n_phase, len(needs), n_pl))
        for y in self.years[:-1]:
            a = c[c["census_year"] == y].drop_duplicates("person_id").set_index("person_id")
            b = c[c["census_year"] == y + 1].drop_duplicates("person_id").set_index("person_id")
            both = a.index.intersection(b.index)
            leavers = a.loc[a.index.difference(b.index)]
            joiners = b.loc[b.index.difference(a.index)]
            at_risk = np.bincount(a["ncy"] - NCY_MIN, minlength=n_ncy).astype(float)
            left = np.bincount(leavers["ncy"] - NCY_MIN, minlength=n_ncy).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                p_leave = np.where(at_risk > 0, left / at_risk, np.nan)
            leaver_probs.append(p_leave)
            joined = np.bincount(joiners["ncy"] - NCY_MIN, minlength=n_ncy).astype(float)
            pop = self._population(y + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                joiner_rates.append(np.where(pop > 0, joined / pop, 0.0))
            ph = phase_of(b.loc[both, "ncy"].to_numpy(dtype=int))
            fr = a.loc[both, "placement_group"].astype(str).map(pl_index).to_numpy(dtype=int)
            to = b.loc[both, "placement_group"].astype(str).map(pl_index).to_numpy(dtype=int)
            np.add.at(moves, (ph, fr, to), 1)
            jph = phase_of(joiners["ncy"].to_numpy(dtype=int))
            np.add.at(mix, (jph, joiners["primary_need"].astype(str).map(need_index).to_numpy(dtype=int),
                            joiners["placement_group"].astype(str).map(pl_index).to_numpy(dtype=int)), 1)
        leaver = np.vstack(leaver_probs)
        # an NCY with nobody at risk in a year borrows that NCY's mean over years (else 0)
        counts = np.isfinite(leaver).sum(axis=0)
        col_mean = np.where(counts > 0, np.nansum(leaver, axis=0) / np.maximum(counts, 1), 0.0)
        leaver = np.where(np.isnan(leaver), col_mean, leaver)
        leaver[:, -1] = 1.0  # the oldest year group leaves (plans end at 25)
        # rows with no observed moves stay put; mixes with no joiners borrow the all-phase mix
        move_probs = moves + np.eye(n_pl)[None] * (moves.sum(axis=2, keepdims=True) == 0)
        move_probs /= move_probs.sum(axis=2, keepdims=True)
        overall = mix.sum(axis=0)
        overall = overall / overall.sum() if overall.sum() > 0 else np.full_like(overall, 1.0 / overall.size)
        for k in range(n_phase):
            mix[k] = mix[k] / mix[k].sum() if mix[k].sum() > 0 else overall
        last = c[c["census_year"] == self.years[-1]].drop_duplicates("person_id")
        state = np.zeros((n_ncy, len(needs), n_pl), dtype=np.int64)
        np.add.at(state, (last["ncy"].to_numpy() - NCY_MIN,
                          last["primary_need"].astype(str).map(need_index).to_numpy(dtype=int),
                          last["placement_group"].astype(str).map(pl_index).to_numpy(dtype=int)), 1)
        population = None
        if self.population is not None:
            population = np.vstack([self._population(self.years[-1] + h) for h in range(1, 11)])
        return MarkovCohortResult(self.years, needs, placements, state, np.vstack(joiner_rates),
                                  leaver, move_probs, mix, population)


def compare_with_aggregate(caseload: pd.DataFrame, holdout: int = 2, population: pd.DataFrame | None = None,
                           n_sims: int = 1000) -> pd.DataFrame:
    """Return the Markov projection of the total against aggregate methods (last value, own
    3-year growth, ARIMA) fitted on the same years, for the last `holdout` census years held out:
    one row per method and year with point, 80% and 95% bounds, actual and percentage error."""
    from sendlib.forecast.methods import arima, last_value, own_growth
    from sendlib.forecast.models import Z
    from sendlib.forecast.panel import Panel

    years = sorted(int(y) for y in caseload["census_year"].unique())
    if len(years) < holdout + 2:
        raise SendlibInputError(f"need at least {holdout + 2} census years to hold out {holdout}")
    fit_years = years[:-holdout]
    actual = caseload.groupby("census_year")["person_id"].nunique()
    train = caseload[caseload["census_year"].isin(fit_years)]
    fc = MarkovCohortModel(train, population).fit().forecast(holdout, n_sims=n_sims)
    rows = [fc.assign(method="markov_cohort")]
    totals = actual.reindex(fit_years).astype(float)
    area = pd.DataFrame([totals.to_numpy()], index=["LA"], columns=fit_years)
    panel = Panel(area, area * np.nan, pd.DataFrame({"geographic_level": ["National"]}, index=["LA"]))
    for name, method in (("last_value", last_value), ("own_growth_3y", own_growth(3)), ("arima", arima)):
        fit = method(panel, holdout)
        point, sd = fit.log_point, fit.log_sd
        if not np.isfinite(point.to_numpy()).all():
            continue
        for h in range(1, holdout + 1):
            p = float(point.iloc[0][h])
            rec = {"year": fit_years[-1] + h, "horizon": h, "breakdown": "Total", "point": float(np.exp(p)),
                   "method": name}
            if sd is not None:
                s = float(sd.iloc[0][h])
                rec.update({k: float(np.exp(p + z * s)) for k, z in Z.items()})
            rows.append(pd.DataFrame([rec]))
    out = pd.concat(rows, ignore_index=True)
    out["actual"] = out["year"].map(actual).astype(float)
    out["pe"] = (out["point"] - out["actual"]) / out["actual"] * 100
    return out[["method", "year", "horizon", "point", "lower80", "upper80", "lower95", "upper95", "actual", "pe"]]
