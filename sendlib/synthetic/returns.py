"""From the simulated history to the files of one census year: the eight SEN2 modules, the school
census extract, the establishment lookup and population estimates, as data frames of strings in
the columns of sendlib/spec/raw_files.yml, plus the intended cohort figures for the manifest.

A return for census year Y (taken in January Y) holds: active plans at the census date with their
placements and needs; plans issued or ceased in calendar year Y-1 (named_plan, plan_detail);
requests received in calendar year Y-1 and the requests behind every active or named plan, with
their assessments; and every person referenced.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sendlib import ages, codelists
from sendlib.spec import columns
from sendlib.synthetic._tables import uniform_days
from sendlib.synthetic.ehcp import (
    ASSESSMENT_OUTCOMES,
    EHCP_NEEDS_ALL,
    NEEDS,
    REQUEST_OUTCOMES,
    SETTINGS,
    SEXES,
    UNKNOWN_ETH,
)
from sendlib.synthetic.identities import days, iso, ncy_at
from sendlib.synthetic.pupils import SS_NEEDS


def _s(values) -> np.ndarray:
    """Integers (or flags) as strings."""
    return np.asarray(values).astype(np.int64).astype(str).astype(object)


def _opt_date(day_numbers, show) -> np.ndarray:
    d = np.asarray(day_numbers, np.int64)
    return iso(np.where(show, d, 0), ~np.asarray(show, bool))


@dataclass
class _Return:
    """The rows of the simulated tables that the return of one census year holds."""
    year: int
    c: int  # census day
    w0: int  # first and last day of the activity year
    w1: int
    active: np.ndarray  # masks on the plans
    issued: np.ndarray
    ceased: np.ndarray
    req_rows: np.ndarray  # rows of the requests table in the return
    Rf: pd.DataFrame
    decided: np.ndarray  # requests decided by the census date
    Af: pd.DataFrame  # assessments of agreed requests
    Pa: pd.DataFrame  # plans active at the census date
    spells_now: pd.DataFrame  # their current placements

    @property
    def done(self) -> np.ndarray:
        """Assessments whose outcome was known by the census date."""
        return self.Af["outcome_date"].to_numpy() <= self.c


class YearBuilder:
    """Builds the files and intended figures of each census year from the simulated tables."""

    def __init__(self, seed: int, sim_tables: dict, people: pd.DataFrame, eth_codes: list[str],
                 pupils, pupil_people: pd.DataFrame, estab: pd.DataFrame, census: dict[int, int],
                 cal: dict, scale: float, la: dict):
        self.seed, self.t, self.people, self.eth_codes = seed, sim_tables, people, np.array(eth_codes, object)
        self.pupils, self.pupil_people, self.estab, self.census = pupils, pupil_people, estab, census
        self.cal, self.scale, self.la = cal, scale, la
        et = codelists.establishment_types().set_index("gias_type")
        e = estab.set_index("URN")
        self.urn_dfe = e["TypeOfEstablishment (name)"].map(et["dfe_group"])
        self.urn_kingston = e["TypeOfEstablishment (name)"].map(et["kingston_group"])
        self.urn_kind = e["_kind"]
        self.census_urns = set(estab.loc[estab["_in_census"], "URN"])
        st = codelists.sen_settings().set_index("code")
        self.setting_dfe = np.array([st.loc[s, "dfe_group"] for s in SETTINGS], object)
        self.setting_kingston = np.array([st.loc[s, "kingston_group"] for s in SETTINGS], object)
        eth = codelists.ethnicities().set_index("code")
        self.eth_dfe = {**eth["major_group_dfe"].to_dict(), "": "Unknown"}
        self.eth_kingston = {**eth["major_group_kingston"].to_dict(), "": "Unknown"}

    # ---- SEN2 ----------------------------------------------------------------------------------
    def sen2(self, year: int) -> tuple[dict[str, pd.DataFrame], dict]:
        """The eight SEN2 modules of census `year` and the intended EHCP figures."""
        r = self._return(year)
        out = {"requests": self._requests(r), "assessment": self._assessments(r)}
        out["named_plan"], out["plan_detail"] = self._named_plans(r)
        out["active_plans"], reviewed_in_time = self._active_plans(r)
        out["placement_detail"] = self._placements(r.spells_now, "placementdetailtableid", "activeplanstableid")
        out["sen_need"] = self._needs(r.Pa)
        out["person"] = self._persons(np.unique(r.Rf["person"].to_numpy()), year)  # everyone referenced
        return {name: as_declared(df, name) for name, df in out.items()}, self._sen2_figures(r, reviewed_in_time)

    def _return(self, year: int) -> _Return:
        """What the return of census `year` holds: active plans, plans issued or ceased in the
        activity year, their requests (and those received in the year) and decided assessments."""
        c = self.census[year]
        w0, w1 = days(f"{year - 1}-01-01"), days(f"{year - 1}-12-31")
        P, R, A, S = self.t["plans"], self.t["requests"], self.t["assessments"], self.t["spells"]
        start, cease = P["start"].to_numpy(), P["cease"].to_numpy()
        active = (start <= c) & (cease > c)
        issued = (start >= w0) & (start <= w1)
        ceased = (cease >= w0) & (cease <= w1)
        req_rows = np.union1d(np.flatnonzero((R["received"] >= w0) & (R["received"] <= w1)),
                              P["request"].to_numpy()[active | issued | ceased])
        Rf = R.iloc[req_rows]
        decided = Rf["outcome_date"].to_numpy() <= c
        a_rows = Rf["assessment"].to_numpy()
        a_rows = a_rows[(a_rows >= 0) & decided & (Rf["outcome"].to_numpy() == 1)]
        spells_now = S[np.isin(S["plan"].to_numpy(), np.flatnonzero(active))
                       & (S["entry"].to_numpy() <= c) & (S["leaving"].to_numpy() > c)]
        return _Return(year, c, w0, w1, active, issued, ceased, req_rows, Rf, decided, A.iloc[np.sort(a_rows)],
                       P[active], spells_now)

    def _requests(self, r: _Return) -> pd.DataFrame:
        Rf = r.Rf
        return pd.DataFrame({
            "requeststableid": _s(Rf["request_id"]),
            "persontableid": _s(self.people["person_id"].to_numpy()[Rf["person"].to_numpy()]),
            "receiveddate": iso(Rf["received"].to_numpy()),
            "requestsource": _s(Rf["source"]),
            "rya": "0",
            "requestoutcomedate": _opt_date(Rf["outcome_date"], r.decided),
            "requestoutcome": np.where(r.decided, np.array(REQUEST_OUTCOMES, object)[Rf["outcome"].to_numpy()], ""),
            "requestmediation": _s(Rf["mediation"]),
            "requesttribunal": _s(Rf["tribunal"]),
            "exported": "0",
        })

    def _assessments(self, r: _Return) -> pd.DataFrame:
        Af, done = r.Af, r.done
        return pd.DataFrame({
            "assessmenttableid": _s(Af["assessment_id"]),
            "requeststableid": _s(self.t["requests"]["request_id"].to_numpy()[Af["request"].to_numpy()]),
            "assessmentoutcome": np.where(done, np.array(ASSESSMENT_OUTCOMES, object)[Af["outcome"].to_numpy()], ""),
            "assessmentoutcomedate": _opt_date(Af["outcome_date"], done),
            "assessmentmediation": _s(Af["mediation"]),
            "assessmenttribunal": _s(Af["tribunal"]),
            "othermediation": _s(Af["other_mediation"]),
            "othertribunal": _s(Af["other_tribunal"]),
            "week20": np.where(done, _s(Af["exception"]), ""),  # 1 = exceptions to the 20-week limit apply
        })

    def _named_plans(self, r: _Return) -> tuple[pd.DataFrame, pd.DataFrame]:
        """named_plan (plans issued or ceased in the activity year) and plan_detail (the placement
        named at issue, or the last one for plans that only ceased)."""
        P, R, A, S = self.t["plans"], self.t["requests"], self.t["assessments"], self.t["spells"]
        Pn = P[r.issued | r.ceased]
        first = Pn.index.isin(np.flatnonzero(r.issued))
        spell_at_issue = Pn["first1"].to_numpy()
        shown_cease = Pn["cease"].to_numpy() <= r.w1
        named_plan = pd.DataFrame({
            "namedplantableid": _s(Pn["plan_id"]),
            "assessmenttableid": _s(A["assessment_id"].to_numpy()[R["assessment"].to_numpy()[Pn["request"]]]),
            "startdate": iso(Pn["start"].to_numpy()),
            "planres": _s(S["res"].to_numpy()[spell_at_issue]),
            "planwbp": _s(S["wbp"].to_numpy()[spell_at_issue]),
            "pb": _s(Pn["pb"]), "oa": _s(Pn["oa"]), "dp": _s(Pn["dp"]),
            "ceasedate": _opt_date(Pn["cease"], shown_cease),
            "ceasereason": np.where(shown_cease, _s(Pn["reason"]), ""),
        })
        s_first = np.concatenate([Pn["first1"].to_numpy()[first], Pn["first2"].to_numpy()[first]])
        s_first = s_first[s_first >= 0]
        s_last = np.flatnonzero(np.isin(S["plan"].to_numpy(), Pn.index[~first])
                                & (S["leaving"].to_numpy() == P["cease"].to_numpy()[S["plan"].to_numpy()]))
        named_spells = S.iloc[np.sort(np.concatenate([s_first, s_last]))]
        return named_plan, self._placements(named_spells, "plandetailtableid", "namedplantableid")

    def _active_plans(self, r: _Return) -> tuple[pd.DataFrame, np.ndarray]:
        """active_plans with their review and phase-transfer dates, and whether each plan was
        reviewed within 12 months (from the year's own random stream, stable per year)."""
        rng = np.random.default_rng([self.seed, 7, r.year])
        Pa, c, n = r.Pa, r.c, len(r.Pa)
        due = (c - Pa["start"].to_numpy()) > 365
        on_time = due & (rng.random(n) < _by_year(self.cal["ehcp"]["reviews_within_12_months"]["by_year"], r.year))
        last = np.where(on_time, c - uniform_days(rng, 1, 364, n), c - uniform_days(rng, 366, 720, n))
        has_review = on_time | (due & (last >= Pa["start"].to_numpy() + 300))  # overdue: some never reviewed
        meeting = np.maximum(last - uniform_days(rng, 5, 28, n), Pa["start"].to_numpy())
        outcome = rng.choice(np.array(["1", "2", "3"], object), size=n, p=[0.6, 0.37, 0.03])
        draft = meeting + uniform_days(rng, 14, 42, n)
        ncy = ncy_at(self.people["dob"].to_numpy()[Pa["person"].to_numpy()], r.year)
        due_day = np.select([np.isin(ncy, [-1, 6]), ncy == 11],
                            [days(f"{r.year}-02-15"), days(f"{r.year}-03-31")], 0)
        final = due_day - uniform_days(rng, 1, 60, n)
        final_shown = (due_day > 0) & (final <= c) & (rng.random(n) < 0.3)
        active_plans = pd.DataFrame({
            "activeplanstableid": _s(Pa["plan_id"]),
            "requeststableid": _s(self.t["requests"]["request_id"].to_numpy()[Pa["request"].to_numpy()]),
            "transferla": "",
            "reviewmeeting": _opt_date(meeting, has_review),
            "reviewoutcome": np.where(has_review, outcome, ""),
            "reviewdraft": _opt_date(draft, has_review & (outcome == "2") & (draft <= c)),
            "phasetransferduedate": _opt_date(due_day, due_day > 0),
            "phasetransferfinaldate": _opt_date(final, final_shown),
            "lastreview": _opt_date(last, has_review),
        })
        return active_plans, has_review & (c - last <= 365)

    @staticmethod
    def _needs(Pa: pd.DataFrame) -> pd.DataFrame:
        """sen_need: the rank-1 need of each active plan and, for some, a rank-2 need."""
        need1 = pd.DataFrame({"senneedtableid": Pa["need1_id"].to_numpy(),
                              "activeplanstableid": Pa["plan_id"].to_numpy(),
                              "sentype": np.array(NEEDS, object)[Pa["need1"].to_numpy()], "sentyperank": 1})
        has2 = Pa["need2"].to_numpy() >= 0
        need2 = pd.DataFrame({"senneedtableid": Pa["need2_id"].to_numpy()[has2],
                              "activeplanstableid": Pa["plan_id"].to_numpy()[has2],
                              "sentype": np.array(NEEDS, object)[Pa["need2"].to_numpy()[has2]], "sentyperank": 2})
        need = pd.concat([need1, need2]).sort_values("senneedtableid")
        return pd.DataFrame({k: _s(v) if k != "sentype" else v.to_numpy() for k, v in need.items()})

    def _sen2_figures(self, r: _Return, reviewed_in_time: np.ndarray) -> dict:
        """The intended figures of the return: the caseload's breakdowns (rank-1 placement and need)
        and the year's events."""
        P, R, A, Pa, Rf, Af = self.t["plans"], self.t["requests"], self.t["assessments"], r.Pa, r.Rf, r.Af
        s1 = r.spells_now[r.spells_now["rank"] == 1].set_index("plan").loc[np.flatnonzero(r.active)]
        p_dfe, p_king = self._placement_groups(s1)
        figures: dict[str, Any] = {"ehcp_caseload": _breakdowns(
            need=np.array(NEEDS, object)[Pa["need1"].to_numpy()], need_codes=EHCP_NEEDS_ALL,
            sex=np.array(SEXES, object)[self.people["sex"].to_numpy()[Pa["person"].to_numpy()]],
            dob=self.people["dob"].to_numpy()[Pa["person"].to_numpy()], census_date=r.c,
            eth=self._recorded_ethnicity(Pa["person"].to_numpy(), r.year), eth_dfe=self.eth_dfe,
            eth_kingston=self.eth_kingston, placement_dfe=p_dfe, placement_kingston=p_king)}
        week20 = A["week20"].to_numpy()[R["assessment"].to_numpy()[P["request"].to_numpy()[r.issued]]]
        received_in = (Rf["received"].to_numpy() >= r.w0) & (Rf["received"].to_numpy() <= r.w1)
        a_req_received = np.isin(Af["request"].to_numpy(), r.req_rows[received_in])
        shown_cease = r.ceased & (P["cease"].to_numpy() <= r.w1)
        reasons = P["reason"].to_numpy()[shown_cease]
        due = (r.c - Pa["start"].to_numpy()) > 365
        figures.update({
            "new_plans": int(r.issued.sum()),
            "new_plans_within_20_weeks": int(week20.sum()),
            "ceased_plans": {"total": int(r.ceased.sum()),
                             "by_reason": {str(k): int((reasons == k).sum()) for k in range(1, 10)}},
            "requests": int(received_in.sum()),
            "assessments": int(a_req_received.sum()),
            "assessments_completed": int((a_req_received & r.done).sum()),
            "assessments_within_20_weeks": int((a_req_received & r.done & (Af["week20"].to_numpy() == 1)).sum()),
            "tribunals": int(Rf["tribunal"].to_numpy()[received_in].sum()
                             + Af["tribunal"].to_numpy()[a_req_received].sum()),
            "annual_reviews": {"due": int(due.sum()), "within_12_months": int(reviewed_in_time.sum())},
        })
        return figures

    def _placements(self, Sx: pd.DataFrame, key: str, link: str) -> pd.DataFrame:
        """placement_detail or plan_detail rows of the spells `Sx` (`key`: their id column, `link`: the plan's)."""
        P = self.t["plans"]
        urn = Sx["urn"].to_numpy()
        setting = Sx["setting"].to_numpy()
        kind = self.urn_kind.reindex(urn).to_numpy()
        ukprn = np.where(np.isin(kind, ["college", "post16_special"]),
                         np.char.add("10", urn.astype(str)).astype(object), "")
        set_code = np.where(setting >= 0, np.array(SETTINGS + [""], object)[setting], "")
        df = pd.DataFrame({
            key: _s(Sx["spell_id"]),
            link: _s(P["plan_id"].to_numpy()[Sx["plan"].to_numpy()]),
            "urn": np.where(urn > 0, urn.astype(str).astype(object), ""),
            "ukprn": ukprn,
            "sensetting": set_code,
            "sensettingother": np.where(set_code == "OTH", "Tuition package", ""),
            "placementrank": _s(Sx["rank"]),
            "entrydate": iso(Sx["entry"].to_numpy()),
            "leavingdate": "",
            "senunitindicator": _s(Sx["unit"]),
            "resourcedprovisionindicator": _s(Sx["rp"]),
            "res": _s(Sx["res"]),
            "wbp": _s(Sx["wbp"]),
        })
        return df

    def _placement_groups(self, s1: pd.DataFrame):
        urn = s1["urn"].to_numpy()
        setting = s1["setting"].to_numpy()
        s = np.clip(setting, 0, None)
        dfe = np.where(urn > 0, self.urn_dfe.reindex(urn).to_numpy(), self.setting_dfe[s])
        king = np.where(urn > 0, self.urn_kingston.reindex(urn).to_numpy(), self.setting_kingston[s])
        rp = (s1["rp"].to_numpy() == 1) | (s1["unit"].to_numpy() == 1)
        king = np.where((king == "Mainstream") & rp, "Resourced provision in mainstream", king)
        return dfe.astype(object), king.astype(object)

    def _recorded_ethnicity(self, person_rows: np.ndarray, year: int) -> np.ndarray:
        pp = self.people
        known = pp["known_from"].to_numpy()[person_rows] <= year
        true = self.eth_codes[pp["eth"].to_numpy()[person_rows]]
        unk = np.array(UNKNOWN_ETH, object)[pp["unk"].to_numpy()[person_rows]]
        return np.where(known, true, unk)

    def _persons(self, rows: np.ndarray, year: int) -> pd.DataFrame:
        pp = self.people.iloc[rows]
        ncy = ncy_at(pp["dob"].to_numpy(), year)
        no_upn = pp["no_upn"].to_numpy()
        return pd.DataFrame({
            "persontableid": _s(pp["person_id"]),
            "surname": pp["surname"].to_numpy(), "forename": pp["forename"].to_numpy(),
            "personbirthdate": iso(pp["dob"].to_numpy()),
            "sex": np.array(SEXES, object)[pp["sex"].to_numpy()],
            "ethnicity": self._recorded_ethnicity(rows, year),
            "postcode": pp["postcode"].to_numpy(),
            "upn": np.where(no_upn, "", pp["upn"].to_numpy()),
            "uniquelearnernumber": np.where(ncy >= 10, pp["uln"].to_numpy(), ""),
            "upnunknown": np.where(no_upn, np.where(ncy < 0, "UN1", "UN5"), ""),
        })

    # ---- school census -------------------------------------------------------------------------
    def school_census(self, year: int, sen2_active_persons: np.ndarray,
                      spells_now: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        """The school census extract (pool pupils plus EHCP pupils at the LA's schools) and its figures."""
        c = self.census[year]
        snap = self.pupils.snapshots[year]
        pp = self.pupil_people
        i = snap["pupil"]
        pool = pd.DataFrame({
            "upn": pp["upn"].to_numpy()[i], "surname": pp["surname"].to_numpy()[i],
            "forename": pp["forename"].to_numpy()[i], "dob": pp["dob"].to_numpy()[i],
            "sex": np.where(pp["sex"].to_numpy()[i] == 0, "M", "F").astype(object),
            "ethnicity": pp["ethnicity"].to_numpy()[i],
            "senprovision": np.where(snap["sen"], "K", "N").astype(object),
            "primarysentype": np.where(snap["sen"], np.array(SS_NEEDS + [""], object)[snap["need"]], ""),
            "urn": snap["urn"],
        })
        people = self.people
        r = sen2_active_persons
        e_sex = people["sex"].to_numpy()[r]
        census_eth = people["census_eth"].to_numpy()[r]
        eth = np.where(census_eth == 0, self.eth_codes[people["eth"].to_numpy()[r]],
                       np.array(UNKNOWN_ETH, object)[census_eth])
        ehcp = pd.DataFrame({
            "upn": people["upn"].to_numpy()[r], "surname": people["surname"].to_numpy()[r],
            "forename": people["forename"].to_numpy()[r], "dob": people["dob"].to_numpy()[r],
            "sex": np.where(e_sex == 0, "M", "F").astype(object), "ethnicity": eth,
            "senprovision": "E", "primarysentype": spells_now["need"].to_numpy(),
            "urn": spells_now["urn"].to_numpy(),
        })
        df = pd.concat([pool, ehcp], ignore_index=True).sort_values("upn", kind="stable").reset_index(drop=True)
        ncy = ncy_at(df["dob"].to_numpy(), year)
        out = pd.DataFrame({
            "upn": df["upn"].to_numpy(), "surname": df["surname"].to_numpy(), "forename": df["forename"].to_numpy(),
            "dateofbirth": iso(df["dob"].to_numpy()), "sex": df["sex"].to_numpy(),
            "ethnicity": df["ethnicity"].to_numpy(), "ncyearactual": ncy.astype(str).astype(object),
            "senprovision": df["senprovision"].to_numpy(), "primarysentype": df["primarysentype"].to_numpy(),
            "urn": df["urn"].to_numpy().astype(np.int64).astype(str).astype(object),
        })
        out = as_declared(out, "school_census")
        k = df["senprovision"].to_numpy() == "K"
        figures = {
            "sen_support": _breakdowns(
                need=df["primarysentype"].to_numpy()[k], need_codes=SS_NEEDS, sex=df["sex"].to_numpy()[k],
                dob=df["dob"].to_numpy()[k], census_date=c, eth=df["ethnicity"].to_numpy()[k],
                eth_dfe=self.eth_dfe, eth_kingston=self.eth_kingston),
            "pupils": {"total": int(len(df)),
                       "by_senprovision": {p: int((df["senprovision"].to_numpy() == p).sum()) for p in "NKE"},
                       "by_age_band_dfe": _count(_age_bands(df["dob"].to_numpy(), c)[0], ages.DFE_AGE_BANDS)},
        }
        return out, figures

    def establishments(self) -> pd.DataFrame:
        """The GIAS lookup (every establishment of the synthetic LA and the places its plans name)."""
        df = self.estab.assign(URN=self.estab["URN"].astype(str))
        return as_declared(df, "establishments").astype(object)

    def population(self, year: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
        """Mid-year population estimates (30 June of year - 1) by single year of age 0-25 and sex."""
        p = self.cal["population"]
        base = np.array([float(p["by_age"][a]) for a in range(26)]) * self.scale
        base *= (1 + float(p["yearly_growth"])) ** (year - 2019)
        male = float(p["male_share"])
        rows = []
        for sex, share in (("F", 1 - male), ("M", male)):
            counts = np.round(base * share * np.exp(rng.normal(0, 0.01, 26))).astype(np.int64)
            rows += [{"area_code": self.la["new_la_code"], "area_name": self.la["name"], "year": str(year - 1),
                      "sex": sex, "age": str(age), "population": str(int(n))} for age, n in enumerate(counts)]
        df = as_declared(pd.DataFrame(rows), "population")
        return df, {"total": int(sum(int(r["population"]) for r in rows))}


def as_declared(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """`df` with exactly the columns the raw-file spec declares for file `name`, in its order
    (a declared column the generator does not make is written blank)."""
    return df.reindex(columns=columns(name), fill_value="").reset_index(drop=True)


def _by_year(mapping: dict, year: int) -> float:
    keys = sorted(int(k) for k in mapping)
    return float(mapping[min(max(year, keys[0]), keys[-1])])


def _count(values: np.ndarray, categories: list[str]) -> dict:
    values = np.asarray(values, object)
    out = {c: int((values == c).sum()) for c in categories}
    other = len(values) - sum(out.values())
    if other:
        out["Other"] = other
    return out


def _age_bands(dob: np.ndarray, census_date: int):
    s = pd.Series(np.asarray(dob, np.int64).astype("datetime64[D]").astype("datetime64[ns]"))
    age = ages.age_at_31_august(s, pd.Timestamp(np.datetime64(int(census_date), "D")))
    return (ages.dfe_age_band(age).astype(str).to_numpy(object), ages.eqia_age_band(age).astype(str).to_numpy(object),
            ages.ncy_from_age(age).to_numpy())


def _breakdowns(need, need_codes, sex, dob, census_date, eth, eth_dfe, eth_kingston,
                placement_dfe=None, placement_kingston=None) -> dict:
    dfe_band, eqia_band, ncy = _age_bands(dob, census_date)
    eth = np.asarray(eth, object)
    out = {
        "total": int(len(need)),
        "by_primary_need": _count(need, list(need_codes)),
        "by_sex": _count(sex, ["M", "F", "U"]),
        "by_age_band_dfe": _count(dfe_band, ages.DFE_AGE_BANDS),
        "by_age_band_eqia": _count(eqia_band, ages.EQIA_AGE_BANDS),
        "by_ncy": {str(k): int((ncy == k).sum()) for k in range(-2, 21)},
        "by_ethnicity_group_dfe": _count(np.array([eth_dfe.get(e, "Unknown") for e in eth], object),
                                         ["White", "Mixed", "Asian", "Black", "Any other ethnic group", "Unknown"]),
        "by_ethnicity_group_kingston": _count(np.array([eth_kingston.get(e, "Unknown") for e in eth], object),
                                              ["White", "Mixed", "Asian", "Black", "Chinese", "Any other ethnic group",
                                               "Unknown"]),
        "by_ethnicity_code": {c: int((eth == c).sum()) for c in sorted(set(eth)) if c},
        "ethnicity_not_recorded": int((eth == "").sum()),
    }
    if placement_dfe is not None:
        out["by_placement_group_dfe"] = _count(placement_dfe, codelists.placement_group_order("dfe"))
        out["by_placement_group_kingston"] = _count(placement_kingston, codelists.placement_group_order("kingston"))
    return out
