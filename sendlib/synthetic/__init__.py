"""Synthetic local authority: `sendlib demo-data OUT_DIR [--seed N] [--defects RATE] [--scale X]`.

Writes, for one made-up LA ('Synthetic LA', codes 999 / E09999999) calibrated to Kingston upon
Thames (targets and tolerances in `calibration.yml`), census years 2019-2025:

    OUT_DIR/manifest.json      seed, parameters, census dates, files with sha256, intended figures
    OUT_DIR/defects.csv        every injected defect (header only when --defects 0)
    OUT_DIR/<YYYY>/            person, requests, assessment, named_plan, plan_detail, active_plans,
                               placement_detail, sen_need (SEN2 modules), school_census,
                               establishments (GIAS layout), population (.csv each)

with exactly the columns of `sendlib/spec/raw_files.yml`. Conventions of the clean files:

- Dates are ISO YYYY-MM-DD; sex M/F (a few U in SEN2); ethnicity the DfE 4-letter codes, REFU,
  NOBT or blank (not recorded; the blank share falls from ~50% in 2019 to ~15% in 2025).
- A census year Y return (January Y): `active_plans` = plans active at the census date, with
  their current `placement_detail` rows (placementrank 1 = main placement, leavingdate blank) and
  `sen_need` rows (sentyperank 1 = primary need, about a third also have a rank-2 need);
  `named_plan` = plans issued or ceased in calendar year Y-1, with the placement named
  (`plan_detail`: at issue, or the last one for ceased plans); `requests` = requests received in
  Y-1 plus the request behind every active or named plan, with their `assessment` rows; `person` =
  everyone referenced. Outcomes after the census date are blank.
- Ids are stable across years: the same child has the same persontableid, UPN, names and birth
  date every year; a plan keeps its namedplantableid = activeplanstableid; a placement keeps its
  placementdetailtableid (= plandetailtableid when named in a plan); needs keep senneedtableid.
- `week20` = 1 when exceptions to the 20-week limit apply (DfE's SEN2 meaning): about 30% of late
  plans and 2% of timely ones. Whether a plan was issued within 20 weeks follows from the dates.
  requestoutcome A / N / W (assess, not assess, withdrawn);
  assessmentoutcome Y / N (issue, not issue); requestsource 1 parent, 2 young person, 3 setting,
  4 health or social care, 5 other; reviewoutcome 1 maintain, 2 amend, 3 cease; rya and exported
  are always 0; transferla is blank; upnunknown UN1 / UN5 where the LA holds no UPN.
- Placements with a URN have a row in establishments.csv; resourced provision / SEN unit places
  are flagged by resourcedprovisionindicator / senunitindicator = 1 on the placement row; non-URN
  placements use `sensetting` codes (codelists/sen_settings.csv).
- The school census holds every pupil of the LA's state-funded schools: provision N, K (SEN
  support, with its own need mix incl. NSA) or E (pupils whose active plan places them at one of
  the LA's schools: same UPN as in SEN2). ncyearactual = age at 31 August before the census - 5.
- population.csv: mid-year estimates (30 June of Y-1, so `year` = Y-1) by single year of age
  0-25 and sex M/F.

The same seed gives byte-identical files; `--defects RATE` adds the defects of `defects.py`,
each listed in defects.csv, after the intended figures have been counted.
"""
from __future__ import annotations


def generate(out_dir, seed: int = 7, defects: float = 0.0, scale: float = 1.0, fmt: str = "csv",
             census_headers: str = "spec") -> dict:
    """Write the synthetic LA into `out_dir`; returns the manifest dict (also in manifest.json).
    Progress goes to the ``sendlib.synthetic`` logger."""
    from sendlib.synthetic.generator import generate as _generate
    return _generate(out_dir, seed=seed, defects=defects, scale=scale, fmt=fmt, census_headers=census_headers)
