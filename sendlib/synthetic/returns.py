"""From the simulated history to the files of one census year: the eight SEN2 modules, the school
census extract, the establishment lookup and population estimates, as data frames of strings in
the columns of sendlib/spec/raw_files.yml, plus the intended cohort figures for the manifest.

A return for census year Y (taken in January Y) holds: active plans at the census date with their
placements and needs; plans issued or ceased in calendar year Y-1 (named_plan, plan_detail);
requests received in calendar year Y-1 and the requests behind every active or named plan, with
their assessments; and every person referenced.
"""
from __future__ import annotations

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
        c = self.census[year]
        w0, w1 = days(f"{year - 1}-01-01"), days(f"{year - 1}-12-31")
        P, R, A, S = self.t["plans"], self.t["requests"], self.t["assessments"], self.t["spells"]
        rng = np.random.default_rng([self.seed, 7, year])  # reviews: own stream, stable per year
        start, cease = P["start"].to_numpy(), P["cease"].to_numpy()
        active = (start <= c) & (cease > c)
        issued = (start >= w0) & (start <= w1)
        ceased = (cease >= w0) & (cease <= w1)
        named = issued | ceased
        req_rows = np.union1d(np.flatnonzero((R["received"] >= w0) & (R["received"] <= w1)),
                              P["request"].to_numpy()[active | named])
        Rf = R.iloc[req_rows]
        decided = Rf["outcome_date"].to_numpy() <= c
        a_rows = Rf["assessment"].to_numpy()
        a_rows = a_rows[(a_rows >= 0) & decided & (Rf["outcome"].to_numpy() == 1)]
        Af = A.iloc[np.sort(a_rows)]
        people = self.people
        out = {}
        # requests
        out["requests"] = pd.DataFrame({
            "requeststableid": _s(Rf["request_id"]),
            "persontableid": _s(people["person_id"].to_numpy()[Rf["person"].to_numpy()]),
            "receiveddate": iso(Rf["received"].to_numpy()),
            "requestsource": _s(Rf["source"]),
            "rya": "0",
            "requestoutcomedate": _opt_date(Rf["outcome_date"], decided),
            "requestoutcome": np.where(decided, np.array(REQUEST_OUTCOMES, object)[Rf["outcome"].to_numpy()], ""),
            "requestmediation": _s(Rf["mediation"]),
            "requesttribunal": _s(Rf["tribunal"]),
            "exported": "0",
        })
        done = Af["outcome_date"].to_numpy() <= c
        out["assessment"] = pd.DataFrame({
            "assessmenttableid": _s(Af["assessment_id"]),
            "requeststableid": _s(R["request_id"].to_numpy()[Af["request"].to_numpy()]),
            "assessmentoutcome": np.where(done, np.array(ASSESSMENT_OUTCOMES, object)[Af["outcome"].to_numpy()], ""),
            "assessmentoutcomedate": _opt_date(Af["outcome_date"], done),
            "assessmentmediation": _s(Af["mediation"]),
            "assessmenttribunal": _s(Af["tribunal"]),
            "othermediation": _s(Af["other_mediation"]),
            "othertribunal": _s(Af["other_tribunal"]),
            "week20": np.where(done, _s(Af["exception"]), ""),  # 1 = exceptions to the 20-week limit apply
        })
        # named plans and the placements they name
        Pn = P[named]
        first = Pn.index.isin(np.flatnonzero(issued))
        a_of = R["assessment"].to_numpy()[Pn["request"].to_numpy()]
        spell_at_issue = Pn["first1"].to_numpy()
        shown_cease = (Pn["cease"].to_numpy() <= w1)
        out["named_plan"] = pd.DataFrame({
            "namedplantableid": _s(Pn["plan_id"]),
            "assessmenttableid": _s(A["assessment_id"].to_numpy()[a_of]),
            "startdate": iso(Pn["start"].to_numpy()),
            "planres": _s(S["res"].to_numpy()[spell_at_issue]),
            "planwbp": _s(S["wbp"].to_numpy()[spell_at_issue]),
            "pb": _s(Pn["pb"]), "oa": _s(Pn["oa"]), "dp": _s(Pn["dp"]),
            "ceasedate": _opt_date(Pn["cease"], shown_cease),
            "ceasereason": np.where(shown_cease, _s(Pn["reason"]), ""),
        })
        plan_row = {r: i for i, r in enumerate(Pn.index)}
        s_first = np.concatenate([Pn["first1"].to_numpy()[first], Pn["first2"].to_numpy()[first]])
        s_first = s_first[s_first >= 0]
        ceased_only = Pn.index[~first]
        s_last = np.flatnonzero(np.isin(S["plan"].to_numpy(), ceased_only)
                                & (S["leaving"].to_numpy() == P["cease"].to_numpy()[S["plan"].to_numpy()]))
        Sn = S.iloc[np.sort(np.concatenate([s_first, s_last]))]
        out["plan_detail"] = self._placements(Sn, "plandetailtableid", "namedplantableid", P)
        del plan_row
        # active plans
        Pa = P[active]
        n = len(Pa)
        due = (c - Pa["start"].to_numpy()) > 365
        p_rev = _by_year(self.cal["ehcp"]["reviews_within_12_months"]["by_year"], year)
        on_time = due & (rng.random(n) < p_rev)
        last = np.where(on_time, c - uniform_days(rng, 1, 364, n), c - uniform_days(rng, 366, 720, n))
        has_review = on_time | (due & (last >= Pa["start"].to_numpy() + 300))  # overdue: some never reviewed
        meeting = np.maximum(last - uniform_days(rng, 5, 28, n), Pa["start"].to_numpy())
        outcome = rng.choice(np.array(["1", "2", "3"], object), size=n, p=[0.6, 0.37, 0.03])
        draft = meeting + uniform_days(rng, 14, 42, n)
        dob = people["dob"].to_numpy()[Pa["person"].to_numpy()]
        ncy = ncy_at(dob, year)
        due_day = np.select([np.isin(ncy, [-1, 6]), ncy == 11],
                            [days(f"{year}-02-15"), days(f"{year}-03-31")], 0)
        final = due_day - uniform_days(rng, 1, 60, n)
        final_shown = (due_day > 0) & (final <= c) & (rng.random(n) < 0.3)
        out["active_plans"] = pd.DataFrame({
            "activeplanstableid": _s(Pa["plan_id"]),
            "requeststableid": _s(R["request_id"].to_numpy()[Pa["request"].to_numpy()]),
            "transferla": "",
            "reviewmeeting": _opt_date(meeting, has_review),
            "reviewoutcome": np.where(has_review, outcome, ""),
            "reviewdraft": _opt_date(draft, has_review & (outcome == "2") & (draft <= c)),
            "phasetransferduedate": _opt_date(due_day, due_day > 0),
            "phasetransferfinaldate": _opt_date(final, final_shown),
            "lastreview": _opt_date(last, has_review),
        })
        Sa = S[np.isin(S["plan"].to_numpy(), np.flatnonzero(active))
               & (S["entry"].to_numpy() <= c) & (S["leaving"].to_numpy() > c)]
        out["placement_detail"] = self._placements(Sa, "placementdetailtableid", "activeplanstableid", P)
        need1 = pd.DataFrame({"senneedtableid": Pa["need1_id"].to_numpy(), "activeplanstableid": Pa["plan_id"].to_numpy(),
                              "sentype": np.array(NEEDS, object)[Pa["need1"].to_numpy()], "sentyperank": 1})
        has2 = Pa["need2"].to_numpy() >= 0
        need2 = pd.DataFrame({"senneedtableid": Pa["need2_id"].to_numpy()[has2],
                              "activeplanstableid": Pa["plan_id"].to_numpy()[has2],
                              "sentype": np.array(NEEDS, object)[Pa["need2"].to_numpy()[has2]], "sentyperank": 2})
        need = pd.concat([need1, need2]).sort_values("senneedtableid")
        out["sen_need"] = pd.DataFrame({k: _s(v) if k != "sentype" else v.to_numpy() for k, v in need.items()})
        # persons referenced by any module
        person_rows = np.unique(Rf["person"].to_numpy())
        out["person"] = self._persons(person_rows, year)
        for name in out:
            out[name] = as_declared(out[name], name)
        # intended figures of the caseload (rank-1 placement, rank-1 need)
        S1 = Sa[Sa["rank"] == 1].set_index("plan")
        s1 = S1.loc[np.flatnonzero(active)]
        p_dfe, p_king = self._placement_groups(s1)
        eth_rec = self._recorded_ethnicity(Pa["person"].to_numpy(), year)
        figures = {
            "ehcp_caseload": _breakdowns(
                need=np.array(NEEDS, object)[Pa["need1"].to_numpy()], need_codes=EHCP_NEEDS_ALL,
                sex=np.array(SEXES, object)[people["sex"].to_numpy()[Pa["person"].to_numpy()]],
                dob=dob, census_date=c, eth=eth_rec, eth_dfe=self.eth_dfe, eth_kingston=self.eth_kingston,
                placement_dfe=p_dfe, placement_kingston=p_king),
        }
        week20 = A["week20"].to_numpy()[R["assessment"].to_numpy()[P["request"].to_numpy()[issued]]]
        received_in = (Rf["received"].to_numpy() >= w0) & (Rf["received"].to_numpy() <= w1)
        a_req_received = np.isin(Af["request"].to_numpy(), req_rows[received_in])
        reviewed_in_time = has_review & (c - last <= 365)
        reasons = Pn["reason"].to_numpy()[shown_cease]
        figures.update({
            "new_plans": int(issued.sum()),
            "new_plans_within_20_weeks": int(week20.sum()),
            "ceased_plans": {"total": int(ceased.sum()),
                             "by_reason": {str(r): int((reasons == r).sum()) for r in range(1, 10)}},
            "requests": int(received_in.sum()),
            "assessments": int(a_req_received.sum()),
            "assessments_completed": int((a_req_received & done).sum()),
            "assessments_within_20_weeks": int((a_req_received & done & (Af["week20"].to_numpy() == 1)).sum()),
            "tribunals": int(Rf["tribunal"].to_numpy()[received_in].sum()
                             + Af["tribunal"].to_numpy()[a_req_received].sum()),
            "annual_reviews": {"due": int(due.sum()), "within_12_months": int(reviewed_in_time.sum())},
        })
        return out, figures

    def _placements(self, Sx: pd.DataFrame, key: str, link: str, P: pd.DataFrame) -> pd.DataFrame:
        urn = Sx["urn"].to_numpy()
        setting = Sx["setting"].to_numpy()
        kind = self.urn_kind.reindex(urn).to_numpy()
        ukprn = np.where(np.isin(kind, ["college", "post16_special"]), np.char.add("10", urn.astype(str)).astype(object), "")
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
        dfe = np.where(urn > 0, self.urn_dfe.reindex(urn).to_numpy(), self.setting_dfe[np.clip(setting, 0, None)])
        king = np.where(urn > 0, self.urn_kingston.reindex(urn).to_numpy(), self.setting_kingston[np.clip(setting, 0, None)])
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
    def school_census(self, year: int, sen2_active_persons: np.ndarray, spells_now: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
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
                                              ["White", "Mixed", "Asian", "Black", "Chinese", "Any other ethnic group", "Unknown"]),
        "by_ethnicity_code": {c: int((eth == c).sum()) for c in sorted(set(eth)) if c},
        "ethnicity_not_recorded": int((eth == "").sum()),
    }
    if placement_dfe is not None:
        out["by_placement_group_dfe"] = _count(placement_dfe, codelists.placement_group_order("dfe"))
        out["by_placement_group_kingston"] = _count(placement_kingston, codelists.placement_group_order("kingston"))
    return out
