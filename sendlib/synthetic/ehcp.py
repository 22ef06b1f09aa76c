"""The EHC plan lifecycle of the synthetic LA, simulated from a January 2018 stock (burn-in) to
the January 2026 census, so that every census year 2019-2025 has a full calendar year of requests,
assessments, new and ceased plans behind it.

Each year (calendar year E, between the censuses of January E and January E+1):
- plans cease: everyone past Age 24+ (reason 1, maximum age), then a base hazard by national
  curriculum year, raised where needed so that no school year holds more plans than its target;
- survivors move on: at each change of stage (early years, primary, secondary, post-16, 19+) the
  placement is drawn again, and a few move within a stage;
- new plans fill the gap to the year's target, by school year, primary need and sex (newcomers go
  where the shortfall is), so every census reproduces the calibrated shares while the same
  children persist and age one school year a year;
- requests that did not lead to a plan (refused, not issued after assessment, withdrawn) are
  added, with mediation and tribunal flags.

Placements follow two latent values per child, fixed for life: `u` (how specialist a placement
the child needs, Beta-distributed by primary need) and `v` (the chance of an "other"
arrangement). At each stage the thresholds on `u` are set from the stage's target mix
(calibration.yml `placement_by_stage`), so placements persist across years and the overall mix
matches Kingston's groups.

Dates are day numbers since 1970-01-01 (int64); `NO_DATE` means "not (yet)".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.synthetic._tables import NO_DATE, Table, allocate, gap_fill, shuffled_labels, uniform_days
from sendlib.synthetic.identities import birth_dates_for_ncy, days, ncy_at

NCY_MIN, NCY_MAX = -2, 20
NCYS = np.arange(NCY_MIN, NCY_MAX + 1)
STAGES = ["early", "primary", "secondary", "post16", "adult"]
STAGE_CALIBRATION = ["early", "school", "school", "post16", "adult"]
# placement categories; the first five are ordered from least to most specialist (latent u)
CATS = ["mainstream", "resourced", "college", "special", "independent_special", "other"]
OTHER = 5
NEEDS = ["ASD", "SLCN", "SEMH", "MLD", "SPLD", "PD", "SLD", "HI", "PMLD", "OTH", "VI", "MSI", "DS"]
# how specialist a placement each primary need tends to need: Beta(a, b) of the latent u
NEED_BETA = {"ASD": (1.3, 1.0), "SLCN": (1.0, 1.8), "SEMH": (1.2, 1.2), "MLD": (1.2, 1.3),
             "SPLD": (0.7, 2.5), "PD": (1.2, 1.2), "SLD": (4.0, 1.0), "PMLD": (7.0, 1.0),
             "HI": (0.9, 1.5), "VI": (0.9, 1.5), "MSI": (3.0, 1.0), "OTH": (1.0, 1.0), "DS": (2.5, 1.0)}
SEXES = ["M", "F", "U"]
ETH_GROUPS = ["White", "Mixed", "Asian", "Black", "Chinese", "Any other ethnic group"]
UNKNOWN_ETH = ["", "REFU", "NOBT"]
SETTINGS = ["OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO"]
NEVER = 9999  # ethnicity never recorded
EHCP_NEEDS_ALL = NEEDS  # every SEN2 primary-need code (sen_types.csv, sen2 = True)
# request outcome: 1 A (assessment agreed), 2 N (not agreed), 3 W (withdrawn); 0 = pending
REQUEST_OUTCOMES = ["", "A", "N", "W"]
ASSESSMENT_OUTCOMES = ["", "Y", "N"]  # Y plan to be issued, N decided not to issue
ID_BASE = {"person": 10_000_000, "request": 20_000_000, "assessment": 30_000_000,
           "plan": 40_000_000, "spell": 50_000_000, "need": 60_000_000}
# base yearly cease hazard by NCY reached at the next census (-2..20)
_HAZARD = np.array([0.0, 0.0] + [0.025] * 12 + [0.06, 0.08, 0.12] + [0.25] * 5 + [0.2])
_CEASE_REASONS = {  # by stage reached: reason code -> probability
    "school": {2: 0.30, 5: 0.35, 7: 0.15, 8: 0.03, 9: 0.17},
    "post16": {2: 0.25, 3: 0.05, 4: 0.15, 5: 0.15, 6: 0.25, 7: 0.05, 9: 0.10},
    "adult": {2: 0.20, 3: 0.15, 4: 0.25, 5: 0.10, 6: 0.20, 7: 0.03, 9: 0.07},
}


def stage_of(ncy: np.ndarray) -> np.ndarray:
    """Stage index (0 early, 1 primary, 2 secondary, 3 post-16, 4 19+) of national curriculum years."""
    ncy = np.asarray(ncy)
    return np.select([ncy < 0, ncy <= 6, ncy <= 11, ncy <= 14], [0, 1, 2, 3], 4)


def _by_year(mapping: dict, year: int) -> float:
    keys = sorted(int(k) for k in mapping)
    year = min(max(year, keys[0]), keys[-1])
    return float(mapping[year])


class PlacementModel:
    """Placement category from stage and the child's latent (u, v); URNs and settings drawn from
    the establishment table."""

    def __init__(self, cal: dict, need_shares: np.ndarray, estab: pd.DataFrame):
        from scipy import stats

        grid = np.linspace(0.0, 1.0, 4001)
        cdf = np.zeros_like(grid)
        for share, need in zip(need_shares, NEEDS):
            a, b = NEED_BETA[need]
            cdf += share * stats.beta.cdf(grid, a, b)
        cdf /= cdf[-1]
        self.p_other, self.thresholds = [], []
        for stage in STAGE_CALIBRATION:
            probs = cal["placement_by_stage"][stage]
            p_other = float(probs.get("other", 0.0))
            rest = np.array([float(probs.get(c, 0.0)) for c in CATS[:OTHER]])
            cum = np.cumsum(rest / rest.sum())
            th = np.interp(cum, cdf, grid)
            th[-1] = 1.0
            self.p_other.append(p_other)
            self.thresholds.append(th)
        self.other_settings = {s: cal["other_settings_by_stage"][s] for s in ("early", "school", "post16", "adult")}
        self.in_la = cal["in_la_share"]
        self.estab = estab
        self._pools: dict = {}

    def category(self, stage: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Placement category index (into CATS) of each child."""
        out = np.empty(len(stage), dtype=np.int8)
        for s in range(len(STAGES)):
            sel = stage == s
            if not sel.any():
                continue
            cat = np.searchsorted(self.thresholds[s], u[sel], side="left").clip(0, OTHER - 1)
            cat = np.where(v[sel] < self.p_other[s], OTHER, cat)
            out[sel] = cat
        return out

    def _pool(self, kind: str, in_la: bool, nursery: bool = False, rp: bool = False):
        key = (kind, in_la, nursery, rp)
        if key not in self._pools:
            e = self.estab
            sel = (e["_kind"] == kind) & (e["_in_la"] == in_la)
            if nursery:
                sel &= e["_nursery"]
            if rp:
                sel &= e["_rp"]
            if not sel.any():  # fall back to the other side of the border
                sel = (e["_kind"] == kind) & (e["_rp"] | (not rp))
            w = e.loc[sel, "_size"].to_numpy()
            self._pools[key] = (e.loc[sel, "URN"].to_numpy(), w / w.sum(),
                                e.loc[sel, "TypeOfResourcedProvision (name)"].to_numpy())
        return self._pools[key]

    def _pick(self, rng, kinds: np.ndarray, in_la: np.ndarray, nursery: np.ndarray, rp: bool):
        urn = np.zeros(len(kinds), dtype=np.int64)
        rp_type = np.empty(len(kinds), dtype=object)
        for key in sorted(set(zip(kinds, in_la, nursery))):
            sel = (kinds == key[0]) & (in_la == key[1]) & (nursery == key[2])
            urns, w, types = self._pool(key[0], bool(key[1]), bool(key[2]), rp)
            idx = rng.choice(len(urns), size=int(sel.sum()), p=w)
            urn[sel], rp_type[sel] = urns[idx], types[idx]
        return urn, rp_type

    def place(self, rng: np.random.Generator, cat: np.ndarray, stage: np.ndarray, ncy: np.ndarray) -> dict:
        """Spell attributes for children of category `cat` at `stage`: urn (0 = none), setting
        (index into SETTINGS, -1 = none), rp / unit indicators, res and wbp flags."""
        n = len(cat)
        out: dict[str, np.ndarray] = {
            "urn": np.zeros(n, np.int64), "setting": np.full(n, -1, np.int8), "rp": np.zeros(n, np.int8),
            "unit": np.zeros(n, np.int8), "res": np.zeros(n, np.int8), "wbp": np.zeros(n, np.int8)}
        r = rng.random((n, 4))
        phase_kind = np.where(stage <= 1, "primary", "secondary").astype(object)
        placers = {"mainstream": self._mainstream, "resourced": self._mainstream, "special": self._one_kind,
                   "independent_special": self._independent_special, "college": self._one_kind}
        for c, name in enumerate(CATS):
            sel = np.flatnonzero(cat == c)
            if len(sel):
                placers.get(name, self._other)(rng, out, sel, stage[sel], r[sel], name, phase_kind[sel])
        return out

    def _mainstream(self, rng, out: dict, sel: np.ndarray, st: np.ndarray, rr: np.ndarray, name: str,
                    phase_kind: np.ndarray) -> None:
        """A mainstream school (some out of the LA independent), or one with resourced provision or
        an SEN unit."""
        in_la = rr[:, 0] < self.in_la[name]
        kinds = phase_kind.copy()
        if name == "mainstream":
            kinds = np.where(~in_la & (rr[:, 1] < 0.4), "independent", kinds)
        nursery = (st == 0) & in_la & (kinds == "primary")
        urn, rp_type = self._pick(rng, kinds, in_la, nursery, rp=(name == "resourced"))
        out["urn"][sel] = urn
        if name == "resourced":
            unit = (rp_type == "SEN unit") | ((rp_type == "Resourced provision and SEN unit") & (rr[:, 2] < 0.5))
            out["unit"][sel] = unit
            out["rp"][sel] = ~unit

    def _one_kind(self, rng, out: dict, sel: np.ndarray, st: np.ndarray, rr: np.ndarray, name: str,
                  phase_kind: np.ndarray) -> None:
        """A maintained or academy special school (a few residential) or a college (a few work-based)."""
        flag, share = {"special": ("res", 0.03), "college": ("wbp", 0.05)}[name]
        in_la = rr[:, 0] < self.in_la[name]
        out["urn"][sel], _ = self._pick(rng, np.full(len(sel), name, object), in_la, np.zeros(len(sel), bool), False)
        out[flag][sel] = rr[:, 3] < share

    def _independent_special(self, rng, out: dict, sel: np.ndarray, st: np.ndarray, rr: np.ndarray, name: str,
                             phase_kind: np.ndarray) -> None:
        """Independent or non-maintained special schools; specialist post-16 institutions after 16."""
        kinds = np.where(rr[:, 1] < 0.75, "independent_special", "non_maintained_special").astype(object)
        kinds = np.where(st == 0, "non_maintained_special", kinds)
        kinds = np.where(st == 3, np.where(rr[:, 1] < 0.45, "independent_special",
                                           np.where(rr[:, 1] < 0.6, "non_maintained_special",
                                                    "post16_special")), kinds)
        kinds = np.where(st == 4, np.where(rr[:, 1] < 0.9, "post16_special", "independent_special"), kinds)
        in_la = (rr[:, 0] < self.in_la["independent_special"]) & (kinds == "independent_special")
        out["urn"][sel], _ = self._pick(rng, kinds, in_la, np.zeros(len(sel), bool), False)
        out["res"][sel] = rr[:, 3] < 0.2

    def _other(self, rng, out: dict, sel: np.ndarray, st: np.ndarray, rr: np.ndarray, name: str,
               phase_kind: np.ndarray) -> None:
        """Other arrangements: alternative provision (a URN) or a non-URN setting."""
        for s in np.unique(st):
            ss = np.flatnonzero(st == s)
            keys, p = _keys_probs(self.other_settings[STAGE_CALIBRATION[s]])
            which = rng.choice(len(keys), size=len(ss), p=p)
            is_ap = np.array([keys[w] == "AP" for w in which])
            code = np.array([SETTINGS.index(keys[w]) if keys[w] != "AP" else -1 for w in which], np.int8)
            out["setting"][sel[ss]] = code
            if is_ap.any():
                idx = sel[ss[is_ap]]
                in_la = rng.random(len(idx)) < self.in_la["AP"]
                out["urn"][idx], _ = self._pick(rng, np.full(len(idx), "ap", object), in_la,
                                                np.zeros(len(idx), bool), False)

    def fits(self, urn: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Whether establishment `urn` takes pupils of `age` (False for non-URN placements)."""
        e = self.estab.set_index("URN")
        low = e["StatutoryLowAge"].astype(int).reindex(urn).to_numpy()
        high = e["StatutoryHighAge"].replace("", "99").astype(int).reindex(urn).to_numpy()
        ok = (urn > 0) & (np.nan_to_num(low, nan=99) <= age) & (age <= np.nan_to_num(high, nan=-1))
        return ok


def _keys_probs(mapping: dict):
    keys = list(mapping)
    p = np.array([float(mapping[k]) for k in keys])
    return keys, p / p.sum()


class EhcpSimulation:
    """Simulates persons, requests, assessments, plans, needs and placement spells."""

    def __init__(self, rng: np.random.Generator, cal: dict, scale: float, estab: pd.DataFrame,
                 census: dict[int, int]):
        self.rng, self.cal, self.scale, self.census = rng, cal, scale, census
        e = cal["ehcp"]
        self.e = e
        need_w = e["primary_need"]["weights"]
        self.need_shares = np.array([float(need_w.get(n, 0)) for n in NEEDS])
        self.need_shares /= self.need_shares.sum()
        sw = e["sex"]["weights"]
        self.sex_shares = np.array([float(sw[s]) for s in SEXES])
        self.sex_shares /= self.sex_shares.sum()
        gw = e["ethnicity_known_group"]["weights"]
        self.group_shares = np.array([float(gw[g]) for g in ETH_GROUPS])
        self.group_shares /= self.group_shares.sum()
        self.eth_codes: list[str] = []
        self.group_codes = []  # per group: (code indices, probs)
        for g in ETH_GROUPS:
            keys, p = _keys_probs(e["ethnicity_codes"][g])
            idx = []
            for k in keys:
                self.eth_codes.append(k)
                idx.append(len(self.eth_codes) - 1)
            self.group_codes.append((np.array(idx), p))
        _, self.unknown_code_p = _keys_probs(e["ethnicity_unknown_codes"])
        # NCY shares, perturbed a little per seed so that each LA differs in detail
        w = np.array([float(e["ncy"]["weights"].get(int(k), 0)) for k in NCYS])
        w = w / w.sum()
        self.ncy_shares = rng.dirichlet(w * 4000 + 1e-3)
        self.totals = {int(y): int(round(float(t) * scale * np.exp(rng.normal(0, 0.01))))
                       for y, t in e["totals"].items()}
        self.placement = PlacementModel(e, self.need_shares, estab)
        self.estab = estab
        self.persons = Table(person_id=np.int64, dob=np.int64, sex=np.int8, eth=np.int16, unk=np.int8,
                             known_from=np.int16, census_eth=np.int8, has_plan=np.int8)
        self.plans = Table(plan_id=np.int64, person=np.int64, request=np.int64, start=np.int64,
                           cease=np.int64, reason=np.int8, need1=np.int8, need2=np.int8,
                           need1_id=np.int64, need2_id=np.int64, u=float, v=float, pb=np.int8,
                           oa=np.int8, dp=np.int8, spell1=np.int64, spell2=np.int64, first1=np.int64,
                           first2=np.int64)
        self.requests = Table(request_id=np.int64, person=np.int64, received=np.int64, source=np.int8,
                              outcome=np.int8, outcome_date=np.int64, mediation=np.int8, tribunal=np.int8,
                              assessment=np.int64)
        self.assessments = Table(assessment_id=np.int64, request=np.int64, outcome=np.int8,
                                 outcome_date=np.int64, week20=np.int8, exception=np.int8,
                                 mediation=np.int8, tribunal=np.int8, other_mediation=np.int8, other_tribunal=np.int8)
        self.spells = Table(spell_id=np.int64, plan=np.int64, rank=np.int8, cat=np.int8, urn=np.int64,
                            setting=np.int8, rp=np.int8, unit=np.int8, res=np.int8, wbp=np.int8,
                            entry=np.int64, leaving=np.int64)
        self._next = dict(ID_BASE)

    # ---- helpers -------------------------------------------------------------------------------
    def _ids(self, table: str, n: int) -> np.ndarray:
        start = self._next[table] + 1
        self._next[table] += n
        return np.arange(start, start + n, dtype=np.int64)

    def ncy_targets(self, year: int) -> np.ndarray:
        """Target number of active plans by NCY (-2..20) at the January census of `year`."""
        return allocate(self.totals[year], self.ncy_shares)

    def _p20(self, issue_days: np.ndarray) -> np.ndarray:
        years = (issue_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
        table = self.e["within_20_weeks"]["by_year"]
        return np.array([_by_year(table, int(y)) for y in years]) if len(years) else np.zeros(0)

    def _new_persons(self, ncy: np.ndarray, year: int, sex: np.ndarray, has_plan: int, unknown_p: float) -> np.ndarray:
        rng, n = self.rng, len(ncy)
        dob = birth_dates_for_ncy(rng, ncy, year)
        group = rng.choice(len(ETH_GROUPS), size=n, p=self.group_shares)
        eth = np.empty(n, np.int16)
        for g, (codes, p) in enumerate(self.group_codes):
            sel = group == g
            eth[sel] = codes[rng.choice(len(codes), size=int(sel.sum()), p=p)]
        unk = rng.choice(len(UNKNOWN_ETH), size=n, p=self.unknown_code_p)
        known_from = np.where(rng.random(n) < unknown_p, NEVER, year).astype(np.int16)
        census_eth = np.where(rng.random(n) < 0.02, rng.integers(1, 3, n), 0)
        return self.persons.append(person_id=self._ids("person", n), dob=dob, sex=sex, eth=eth, unk=unk,
                                   known_from=known_from, census_eth=census_eth, has_plan=has_plan)

    def _new_requests(self, persons: np.ndarray, received: np.ndarray, outcome: np.ndarray | int,
                      outcome_date: np.ndarray, ncy: np.ndarray, tribunal_p: float, mediation_p: float) -> np.ndarray:
        rng, n = self.rng, len(persons)
        source = rng.choice([1, 3, 4, 5, 2], size=n, p=[0.55, 0.30, 0.07, 0.03, 0.05])
        source = np.where((source == 2) & (ncy < 11), 1, source)
        return self.requests.append(
            request_id=self._ids("request", n), person=persons, received=received, source=source,
            outcome=outcome, outcome_date=outcome_date, mediation=rng.random(n) < mediation_p,
            tribunal=rng.random(n) < tribunal_p, assessment=-1)

    def _new_assessments(self, requests: np.ndarray, outcome: np.ndarray | int, outcome_date: np.ndarray,
                         tribunal_p: float, mediation_p: float) -> None:
        rng, n = self.rng, len(requests)
        received = self.requests["received"][requests]
        within = (outcome_date - received) <= 140
        # Exceptions to the 20-week limit (e.g. school holidays, family circumstances) mostly explain
        # late plans; the SEN2 item `week20` = 1 records that an exception applies.
        exception = rng.random(n) < np.where(within, 0.02, 0.30)
        rows = self.assessments.append(
            assessment_id=self._ids("assessment", n), request=requests, outcome=outcome,
            outcome_date=outcome_date, week20=within, exception=exception,
            mediation=rng.random(n) < mediation_p, tribunal=rng.random(n) < tribunal_p,
            other_mediation=rng.random(n) < 0.01, other_tribunal=rng.random(n) < 0.01)
        self.requests["assessment"][requests] = rows

    def _new_spells(self, plans: np.ndarray, cat: np.ndarray, stage: np.ndarray, ncy: np.ndarray,
                    entry: np.ndarray) -> None:
        """Open rank-1 spells (and for a few a rank-2 spell) for `plans`; sets the plans' current spells."""
        rng = self.rng
        place = self.placement.place(rng, cat, stage, ncy)
        n = len(plans)
        rows = self.spells.append(spell_id=self._ids("spell", n), plan=plans, rank=1, cat=cat, urn=place["urn"],
                                  setting=place["setting"], rp=place["rp"], unit=place["unit"],
                                  res=place["res"], wbp=place["wbp"], entry=entry, leaving=NO_DATE)
        self.plans["spell1"][plans] = rows
        self.plans["spell2"][plans] = -1
        dual = np.flatnonzero(rng.random(n) < 0.03)
        if len(dual):
            cat2 = np.full(len(dual), OTHER, np.int8)
            place2 = self.placement.place(rng, cat2, np.where(stage[dual] == 0, 1, stage[dual]), ncy[dual])
            rows2 = self.spells.append(spell_id=self._ids("spell", len(dual)), plan=plans[dual], rank=2, cat=cat2,
                                       urn=place2["urn"], setting=place2["setting"], rp=0, unit=0, res=0,
                                       wbp=0, entry=entry[dual], leaving=NO_DATE)
            self.plans["spell2"][plans[dual]] = rows2
        first = self.plans["first1"][plans] < 0
        self.plans["first1"][plans[first]] = rows[first]
        self.plans["first2"][plans[first]] = self.plans["spell2"][plans[first]]

    def _end_spells(self, plans: np.ndarray, leaving: np.ndarray) -> None:
        s1 = self.plans["spell1"][plans]
        self.spells["leaving"][s1] = leaving
        s2 = self.plans["spell2"][plans]
        has2 = s2 >= 0
        self.spells["leaving"][s2[has2]] = leaving[has2]
        self.plans["spell2"][plans] = -1

    def _new_plans(self, ncy: np.ndarray, year: int, start: np.ndarray, current_need: np.ndarray,
                   current_sex: np.ndarray, unknown_p: float, request_lag: np.ndarray) -> np.ndarray:
        """Persons, requests, assessments, plans, needs and spells for new plans starting at `start`,
        with NCY `ncy` at the census of `year`; need and sex fill the gap to the year's targets."""
        rng, n = self.rng, len(ncy)
        total = self.totals[year]
        need1 = gap_fill(rng, n, self.need_shares * total, current_need).astype(np.int8)
        sex = gap_fill(rng, n, self.sex_shares * total, current_sex).astype(np.int8)
        persons = self._new_persons(ncy, year, sex, 1, unknown_p)
        received = start - request_lag
        req = self._new_requests(persons, received, 1, received + uniform_days(rng, 21, 42, n), ncy, 0.0, 0.0)
        self._new_assessments(req, 1, start, tribunal_p=0.02, mediation_p=0.04)
        need2 = rng.choice(len(NEEDS), size=n, p=self.need_shares).astype(np.int8)
        need2 = np.where(need2 == need1, (need2 + 1 + rng.integers(0, 3, n)) % (len(NEEDS) - 1), need2)
        need2 = np.where(rng.random(n) < self.e["secondary_need_share"], need2, -1).astype(np.int8)
        u = np.empty(n)
        for i, need in enumerate(NEEDS):
            sel = need1 == i
            u[sel] = rng.beta(*NEED_BETA[need], size=int(sel.sum()))
        plans = self.plans.append(
            plan_id=self._ids("plan", n), person=persons, request=req, start=start, cease=NO_DATE, reason=0,
            need1=need1, need2=need2, need1_id=self._ids("need", n), need2_id=self._ids("need", n),
            u=u, v=rng.random(n), pb=rng.random(n) < 0.08, oa=rng.random(n) < 0.03, dp=rng.random(n) < 0.05,
            spell1=-1, spell2=-1, first1=-1, first2=-1)
        return plans

    def _request_lag(self, start: np.ndarray) -> np.ndarray:
        """Days from request to plan issue: within 20 weeks with the issue year's probability."""
        n = len(start)
        on_time = self.rng.random(n) < self._p20(start)
        return np.where(on_time, uniform_days(self.rng, 84, 140, n), uniform_days(self.rng, 141, 300, n))

    def _record_ethnicity(self, year: int) -> None:
        """Complete ethnicity records so that the unknown share of active plans meets the target."""
        active = np.flatnonzero(self.plans["cease"] == NO_DATE)
        persons = self.plans["person"][active]
        unknown = persons[self.persons["known_from"][persons] > year]
        target = int(round(_by_year(self.e["ethnicity_unknown"]["by_year"], year) * len(active)))
        if len(unknown) > target:
            flip = self.rng.choice(unknown, size=len(unknown) - target, replace=False)
            self.persons["known_from"][flip] = year

    # ---- the simulation ------------------------------------------------------------------------
    def initial_stock(self, year: int) -> None:
        """Plans active at the January census of `year` (the burn-in), with their history."""
        rng, census = self.rng, self.census[year]
        targets = self.ncy_targets(year)
        ncy = np.repeat(NCYS, targets)
        n = len(ncy)
        age = ncy + 5
        years_in_plan = rng.random(n) * np.clip(np.minimum(age - 2, 8), 0.3, None)
        start = census - np.maximum(20, (years_in_plan * 365.25).astype(np.int64))
        lag = self._request_lag(start)
        plans = self._new_plans(ncy, year, start, np.zeros(len(NEEDS)), np.zeros(3), 0.0, lag)
        persons = self.plans["person"][plans]
        dob = self.persons["dob"][persons]
        self.plans["start"][plans] = np.maximum(start, dob + 400)
        # the unknown share is set exactly in the burn-in year
        unk = shuffled_labels(rng, n, np.array([1 - self.e["ethnicity_unknown"]["by_year"][year],
                                                self.e["ethnicity_unknown"]["by_year"][year]]))
        self.persons["known_from"][persons] = np.where(unk == 1, NEVER, 0)
        stage = stage_of(ncy)
        cat = self.placement.category(stage, self.plans["u"][plans], self.plans["v"][plans])
        stage_start = _stage_start_days(ncy, year)
        entry = np.maximum(stage_start, census - uniform_days(rng, 30, 3 * 365, n))
        entry = np.maximum(entry, self.plans["start"][plans] - 365)
        self._new_spells(plans, cat, stage, ncy, np.minimum(entry, census - 1))
        self._record_ethnicity(year)

    def advance(self, year: int) -> dict:
        """Simulate calendar year `year` (census `year` -> census `year + 1`); returns its event counts."""
        P = self.plans
        active = np.flatnonzero(P["cease"] == NO_DATE)
        dob = self.persons["dob"][P["person"][active]]
        ncy0, ncy1 = ncy_at(dob, year), ncy_at(dob, year + 1)
        cease = self._cease(year, active, ncy1)
        survivors, ncy1s = active[~cease], ncy1[~cease]
        self._move_on(year, survivors, ncy0[~cease], ncy1s)
        ncy_new = self._fill_gap(year, survivors, ncy1s)
        self._other_requests(year, ncy_new)
        self._record_ethnicity(year + 1)
        return {"new": len(ncy_new), "ceased": int(cease.sum())}

    def _cease(self, year: int, active: np.ndarray, ncy1: np.ndarray) -> np.ndarray:
        """Plans (of `active`) that cease during `year`: everyone past Age 24+, a base hazard by NCY,
        and more where a school year would hold more plans than its target. Returns the mask."""
        rng, c0 = self.rng, self.census[year]
        jul31, dec31 = days(f"{year}-07-31"), days(f"{year}-12-31")
        n = len(active)
        cease = np.zeros(n, bool)
        reason = np.zeros(n, np.int8)
        forced = ncy1 > NCY_MAX
        cease[forced], reason[forced] = True, 1
        k = np.clip(ncy1, NCY_MIN, NCY_MAX) - NCY_MIN
        cease |= (rng.random(n) < _HAZARD[k]) & ~forced
        targets = self.ncy_targets(year + 1)
        priority = rng.random(n)
        for i in range(len(NCYS)):
            at = np.flatnonzero((k == i) & ~cease)
            extra = len(at) - targets[i]
            if extra > 0:
                cease[at[np.argsort(priority[at])[:extra]]] = True
        ceased = np.flatnonzero(cease & ~forced)
        stage1 = stage_of(ncy1)
        for name, stages in (("school", (0, 1, 2)), ("post16", (3,)), ("adult", (4,))):
            sel = ceased[np.isin(stage1[ceased], stages)]
            keys, p = _keys_probs(_CEASE_REASONS[name])
            reason[sel] = np.array(keys)[rng.choice(len(keys), size=len(sel), p=p)]
        when = uniform_days(rng, c0 + 1, dec31, n)
        when = np.where((stage1 >= 3) & (rng.random(n) < 0.5), jul31, when)
        when = np.where(forced, jul31, when)
        idx = active[cease]
        self.plans["cease"][idx], self.plans["reason"][idx] = when[cease], reason[cease]
        self._end_spells(idx, when[cease])
        return cease

    def _move_on(self, year: int, surv: np.ndarray, ncy0s: np.ndarray, ncy1s: np.ndarray) -> None:
        """Survivors change placement at a change of stage (most in special schools stay), and a few
        move within a stage."""
        rng, P, c0 = self.rng, self.plans, self.census[year]
        aug31, sep1, dec31 = days(f"{year}-08-31"), days(f"{year}-09-01"), days(f"{year}-12-31")
        st0, st1 = stage_of(ncy0s), stage_of(ncy1s)
        changed = st0 != st1
        new_cat = self.placement.category(st1, P["u"][surv], P["v"][surv])
        cur = P["spell1"][surv]
        cur_cat = self.spells["cat"][cur]
        fits = self.placement.fits(self.spells["urn"][cur], ncy1s + 5)
        stays = changed & (new_cat == cur_cat) & np.isin(cur_cat, [3, 4, 2]) & fits & (rng.random(len(surv)) < 0.9)
        move = ~changed & (rng.random(len(surv)) < 0.03)
        redo = (changed & ~stays) | move
        move_day = uniform_days(rng, c0 + 2, dec31, len(surv))  # old spell ends after the census
        entry = np.where(move, move_day, sep1)
        leaving = np.where(move, move_day - 1, aug31)
        cat = np.where(move, cur_cat, new_cat).astype(np.int8)
        r = np.flatnonzero(redo)
        self._end_spells(surv[r], leaving[r])
        self._new_spells(surv[r], cat[r], st1[r], ncy1s[r], entry[r])

    def _fill_gap(self, year: int, surv: np.ndarray, ncy1s: np.ndarray) -> np.ndarray:
        """New plans issued during `year` that bring each school year, need and sex to the next
        census's targets. Returns their NCYs."""
        rng, P, c0 = self.rng, self.plans, self.census[year]
        targets = self.ncy_targets(year + 1)
        have = np.bincount(np.clip(ncy1s, NCY_MIN, NCY_MAX) - NCY_MIN, minlength=len(NCYS))
        ncy_new = rng.permutation(np.repeat(NCYS, np.clip(targets - have, 0, None)))
        start = uniform_days(rng, c0 + 1, days(f"{year}-12-31"), len(ncy_new))
        cur_need = np.bincount(P["need1"][surv], minlength=len(NEEDS))
        cur_sex = np.bincount(self.persons["sex"][P["person"][surv]], minlength=3)
        plans = self._new_plans(ncy_new, year + 1, start, cur_need, cur_sex, 0.6, self._request_lag(start))
        st_new = stage_of(ncy_new)
        cat_new = self.placement.category(st_new, P["u"][plans], P["v"][plans])
        stage_start = _stage_start_days(ncy_new, year + 1)
        mainstream = np.isin(cat_new, [0, 1])
        entry_new = np.where(stage_start > start, stage_start, np.where(mainstream, stage_start, start))
        self._new_spells(plans, cat_new, st_new, ncy_new, entry_new)
        return ncy_new

    def _other_requests(self, year: int, ncy_new: np.ndarray) -> None:
        """Requests during `year` that did not lead to a plan: refused, not issued after an
        assessment, or withdrawn (their children drawn like the year's new plans)."""
        rng, e, m = self.rng, self.e, len(ncy_new)
        jan1, dec31 = days(f"{year}-01-01"), days(f"{year}-12-31")
        n_requests = int(round(m * float(e["requests_per_new_plan"])))
        n_refused = int(round(n_requests * float(e["refused_share_of_requests"])))
        not_issued = float(e["not_issued_share_of_assessments"])
        n_not_issued = int(round(m * not_issued / (1 - not_issued)))
        n_withdrawn = max(0, n_requests - m - n_refused - n_not_issued)
        for outcome, count in ((2, n_refused), (1, n_not_issued), (3, n_withdrawn)):
            if count == 0:
                continue
            ncy = rng.choice(ncy_new, size=count) if m else np.zeros(count, np.int64)
            sex = np.where(rng.random(count) < 0.67, 0, 1).astype(np.int8)
            unknown_p = _by_year(e["ethnicity_unknown"]["by_year"], year + 1)
            persons = self._new_persons(ncy, year + 1, sex, 0, unknown_p)
            received = uniform_days(rng, jan1, dec31, count)
            decided = received + uniform_days(rng, 21, 42, count)
            req = self._new_requests(persons, received, outcome, decided, ncy,
                                     tribunal_p=0.12 if outcome == 2 else 0.0,
                                     mediation_p=0.2 if outcome == 2 else 0.0)
            if outcome == 1:
                self._new_assessments(req, 2, received + uniform_days(rng, 84, 150, count),
                                      tribunal_p=0.3, mediation_p=0.4)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The simulated tables as data frames (indices are row numbers used as links)."""
        return {name: pd.DataFrame(getattr(self, name).cols)
                for name in ("persons", "plans", "requests", "assessments", "spells")}


def _stage_start_days(ncy: np.ndarray, census_year: int) -> np.ndarray:
    """1 September on which a child of NCY `ncy` at the census of `census_year` started the stage."""
    ncy = np.asarray(ncy)
    first = np.select([ncy < 0, ncy <= 6, ncy <= 11, ncy <= 14], [-2, 0, 7, 12], 15)
    first = np.minimum(first, ncy)
    year = census_year - 1 - (ncy - first)
    return np.array([days(f"{y}-09-01") for y in range(1900, 2100)])[year - 1900]
