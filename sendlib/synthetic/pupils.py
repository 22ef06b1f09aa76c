"""The pupils of the synthetic LA's schools, January census 2019-2025, for the school census
extract: the denominator for rates and the home of SEN support (provision K).

Cohorts move up one national curriculum year a year; pupils leave at the end of Year 13, some
after Year 11 and at the move to secondary, and a few every year; joiners keep each school year
at its target roll. SEN support is persistent (most pupils keep it from one year to the next) and
topped up each year so that its rate by age band, its sex mix and its need mix meet the targets.
Pupils with an EHC plan are not simulated here: they come from the EHCP simulation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.synthetic._tables import gap_fill
from sendlib.synthetic.identities import birth_dates_for_ncy, ncy_at

POOL_NCY_MIN, POOL_NCY_MAX = -2, 13
SS_NEEDS = ["SLCN", "SEMH", "MLD", "SPLD", "ASD", "OTH", "NSA", "PD", "HI", "VI", "SLD", "MSI", "PMLD", "DS"]
EQIA_BANDS = ["0-4", "5-10", "11-15", "16+"]


def eqia_band_of_ncy(ncy: np.ndarray) -> np.ndarray:
    """Index of the EqIA age band (0-4, 5-10, 11-15, 16+) of NCY (age = NCY + 5)."""
    return np.select([ncy < 0, ncy <= 5, ncy <= 10], [0, 1, 2], 3)


_NCYS = np.arange(POOL_NCY_MIN, POOL_NCY_MAX + 1)


@dataclass
class _Roll:
    """The pupils on roll in one census year: pupil index, school, SEN support and its need."""
    pupil: np.ndarray
    urn: np.ndarray
    sen: np.ndarray
    need: np.ndarray

    def subset(self, keep: np.ndarray) -> _Roll:
        return _Roll(self.pupil[keep], self.urn[keep], self.sen[keep], self.need[keep])


class PupilSimulation:
    """Year-by-year pupil roll of the LA's mainstream schools, with SEN support status."""

    def __init__(self, rng: np.random.Generator, cal: dict, scale: float, estab: pd.DataFrame,
                 census_years: list[int]):
        self.rng, self.cal, self.scale = rng, cal, scale
        p = cal["pupils"]
        self.years = census_years
        self.by_ncy = np.array([float(p["by_ncy"][k]) for k in range(POOL_NCY_MIN, POOL_NCY_MAX + 1)]) * scale
        self.growth = rng.normal(0, 0.01, len(census_years)).cumsum()  # seed-specific roll drift
        keys = list(p["ethnicity"])
        self.eth_codes = keys
        w = np.array([float(p["ethnicity"][k]) for k in keys])
        self.eth_p = w / w.sum()
        self.male = float(p["sex"]["M"]) / (float(p["sex"]["M"]) + float(p["sex"]["F"]))
        s = cal["sen_support"]
        self.k_share = float(s["pupils_share"]["share"])
        bw = s["age_band_eqia"]["weights"]
        self.band_shares = np.array([float(bw[b]) for b in EQIA_BANDS])
        self.band_shares /= self.band_shares.sum()
        sw = s["sex"]["weights"]
        self.k_male = float(sw["M"]) / (float(sw["M"]) + float(sw["F"]))
        nw = s["primary_need"]["weights"]
        self.need_shares = np.array([float(nw.get(n, 0)) for n in SS_NEEDS])
        self.need_shares /= self.need_shares.sum()
        self.leave = float(p["yearly_leaving_share"])
        self.stay6 = float(p["stay_into_sixth_form"])
        self.stay7 = float(p["stay_into_secondary"])
        e = estab[estab["_in_census"] & estab["_kind"].isin(["primary", "secondary"])]
        self.schools = {}
        for key, sel in (("nursery", (e["_kind"] == "primary") & e["_nursery"]),
                         ("primary", e["_kind"] == "primary"), ("secondary", e["_kind"] == "secondary")):
            w = e.loc[sel, "_size"].to_numpy()
            self.schools[key] = (e.loc[sel, "URN"].to_numpy(), w / w.sum())
        # pupil arrays (append-only); serial numbers make the UPNs
        self.dob = np.empty(0, np.int64)
        self.sex = np.empty(0, np.int8)  # 0 M, 1 F
        self.eth = np.empty(0, np.int16)
        self.snapshots: dict[int, dict] = {}

    def _school(self, ncy: np.ndarray) -> np.ndarray:
        urn = np.zeros(len(ncy), np.int64)
        for key, sel in (("nursery", ncy < 0), ("primary", (ncy >= 0) & (ncy <= 6)), ("secondary", ncy >= 7)):
            urns, w = self.schools[key]
            urn[sel] = urns[self.rng.choice(len(urns), size=int(sel.sum()), p=w)]
        return urn

    def _join(self, ncy: np.ndarray, year: int) -> np.ndarray:
        rng, n = self.rng, len(ncy)
        start = len(self.dob)
        self.dob = np.concatenate([self.dob, birth_dates_for_ncy(rng, ncy, year)])
        self.sex = np.concatenate([self.sex, (rng.random(n) >= self.male).astype(np.int8)])
        self.eth = np.concatenate([self.eth, rng.choice(len(self.eth_codes), size=n, p=self.eth_p).astype(np.int16)])
        return np.arange(start, start + n)

    def _targets(self, i: int) -> np.ndarray:
        return np.round(self.by_ncy * np.exp(self.growth[i])).astype(np.int64)

    def run(self, ehcp_pupils: dict[int, int]) -> None:
        """Simulate every census year; `ehcp_pupils[year]` is the number of EHCP pupils in the LA's
        schools that year (they count in the SEN support rate's denominator)."""
        roll: _Roll | None = None
        for i, year in enumerate(self.years):
            roll = self._first_roll(year, self._targets(i)) if roll is None else self._next_roll(roll, year, i)
            roll.sen, roll.need = self._top_up_sen_support(year, roll.pupil, roll.sen, roll.need,
                                                           ehcp_pupils.get(year, 0))
            order = np.argsort(roll.pupil, kind="stable")
            roll = _Roll(roll.pupil[order], roll.urn[order], roll.sen[order], roll.need[order])
            self.snapshots[year] = {"pupil": roll.pupil.copy(), "urn": roll.urn.copy(), "sen": roll.sen.copy(),
                                    "need": roll.need.copy()}

    def _first_roll(self, year: int, target: np.ndarray) -> _Roll:
        idx = self._join(np.repeat(_NCYS, target), year)
        return _Roll(idx, self._school(ncy_at(self.dob[idx], year)), np.zeros(len(idx), bool),
                     np.full(len(idx), -1, np.int16))

    def _next_roll(self, roll: _Roll, year: int, i: int) -> _Roll:
        """Last year's roll a year on: leavers go, some change school, joiners keep each school year
        at its target, and a fifth of SEN support pupils no longer need it."""
        rng, target = self.rng, self._targets(i)
        ncy = ncy_at(self.dob[roll.pupil], year)
        r = rng.random((len(roll.pupil), 3))
        stay = (ncy <= POOL_NCY_MAX) & (r[:, 0] >= self.leave)
        stay &= ~((ncy == 12) & (r[:, 1] >= self.stay6)) & ~((ncy == 7) & (r[:, 1] >= self.stay7))
        roll, ncy, r = roll.subset(stay), ncy[stay], r[stay]
        # new school at the move to secondary, for some at the start of Reception, and a few movers
        moving = (ncy == 7) | ((ncy == 0) & (r[:, 2] < 0.15)) | (r[:, 2] > 0.98)
        roll.urn[moving] = self._school(ncy[moving])
        # joiners / leavers to keep each school year at its roll
        have = np.bincount(ncy - POOL_NCY_MIN, minlength=len(_NCYS))
        extra_out = np.zeros(len(roll.pupil), bool)
        prio = rng.random(len(roll.pupil))
        for j, k in enumerate(_NCYS):
            if have[j] > target[j]:
                at = np.flatnonzero(ncy == k)
                extra_out[at[np.argsort(prio[at])[: have[j] - target[j]]]] = True
        roll = roll.subset(~extra_out)
        new_ncy = np.repeat(_NCYS, np.clip(target - have, 0, None))
        new = self._join(new_ncy, year)
        roll = _Roll(np.concatenate([roll.pupil, new]), np.concatenate([roll.urn, self._school(new_ncy)]),
                     np.concatenate([roll.sen, np.zeros(len(new), bool)]),
                     np.concatenate([roll.need, np.full(len(new), -1, np.int16)]))
        # most keep SEN support from one year to the next
        drop = roll.sen & (rng.random(len(roll.pupil)) < 0.2)
        roll.sen[drop], roll.need[drop] = False, -1
        return roll

    def _top_up_sen_support(self, year, idx, sen, need, ehcp_pupils):
        rng = self.rng
        ncy = ncy_at(self.dob[idx], year)
        total_k = int(round(self.k_share * (len(idx) + ehcp_pupils)))
        band = eqia_band_of_ncy(ncy)
        band_target = self.band_shares * total_k
        sex = self.sex[idx]
        rand = rng.random(len(idx))
        newly = np.zeros(len(idx), bool)
        for b in range(len(EQIA_BANDS)):
            in_b = band == b
            want = int(round(band_target[b]))
            have = int((sen & in_b).sum())
            if have > want:
                cand = np.flatnonzero(sen & in_b)
                out = cand[rng.permutation(len(cand))[: have - want]]
                sen[out], need[out] = False, -1
                continue
            # newcomers by sex so that the band's SEN support meets the target male share
            add = want - have
            add_m = int(np.clip(round(self.k_male * want) - (sen & in_b & (sex == 0)).sum(), 0, add))
            for s, count in ((0, add_m), (1, add - add_m)):
                cand = np.flatnonzero(~sen & in_b & (sex == s))
                newly[cand[np.argsort(rand[cand], kind="stable")[:count]]] = True
        current = np.bincount(need[sen], minlength=len(SS_NEEDS))
        new = np.flatnonzero(newly)
        need[new] = gap_fill(rng, len(new), self.need_shares * total_k, current)
        sen[new] = True
        return sen, need
