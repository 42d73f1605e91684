"""The safety rules: every rule of the tables fires where EVIDENCE.md says and not where it must
not; unknown inputs give cannot-check naming them; computed severities, limits and separations;
and the properties of the three-valued evaluation.

Expected severities are written here from shared/clinical/EVIDENCE.md (the marks [S], [S2],
[G], [P] are the digest's); numbers are hand calculations written beside them.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calcidose
from calcidose.catalog import get_catalog
from calcidose.catalog.model import Catalog, Drug, Rule, RuleAdjustment, TQuantity
from calcidose.engine import rules
from calcidose.patient import Patient
from calcidose.results import Finding

CAT = get_catalog()

#: A fully described adult: every input the rules read is given, so nothing is unknown.
#: CrCl is given (90 mL/min) so that no rule depends on Cockcroft-Gault here.
BASE: dict[str, Any] = {
    "weight": "70 kg",
    "height": "170 cm",
    "age": "54 years",
    "sex": "female",
    "pregnant": False,
    "lactating": False,
    "crcl": "90 mL/min",
    "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
}
NEONATE: dict[str, Any] = {
    "weight": "3.5 kg",
    "height": "50 cm",
    "age": "10 d",
    "sex": "male",
}


def patient(**changes: Any) -> Patient:
    """BASE with some fields changed (None removes a field)."""
    data = {**BASE, **changes}
    return Patient(**{k: v for k, v in data.items() if v is not None})


def findings(
    drug: str, p: Patient, regimen: str | None = None, order: rules.OrderFacts | None = None
) -> dict[str, Finding]:
    entry = CAT.drugs[drug]
    chosen = entry.regimen(regimen) if regimen else None
    outcome = rules.evaluate(CAT, entry, chosen, p, order)
    return {f.code: f for f in outcome.findings + outcome.order_findings}


def C(**kw: Any) -> dict[str, Any]:
    return kw


#: rule id -> (drug, regimen or None, severity from EVIDENCE.md, patient where it fires,
#: patient where it must not fire, or None for an "always" rule: see test_always_rules).
CASES: dict[str, tuple[str, str | None, str, dict[str, Any], dict[str, Any] | None]] = {
    # --- diltiazem (EVIDENCE: contraindications [S], pregnancy contraindicated by default [P])
    "diltiazem-av-block": (
        "diltiazem",
        None,
        "contraindicated",
        C(conditions=["av-block-2nd-3rd-degree"]),
        C(conditions=["av-block-2nd-3rd-degree", "pacemaker"]),  # functioning pacemaker
    ),
    "diltiazem-sick-sinus": (
        "diltiazem",
        None,
        "contraindicated",
        C(conditions=["sick-sinus-syndrome"]),
        C(conditions=["sick-sinus-syndrome", "pacemaker"]),
    ),
    "diltiazem-hypotension": (
        "diltiazem",
        None,
        "contraindicated",
        C(conditions=["hypotension"]),
        C(),
    ),
    "diltiazem-severe-bradycardia": (
        "diltiazem",
        None,
        "contraindicated",
        C(conditions=["severe-bradycardia"]),
        C(),
    ),
    "diltiazem-lv-failure": (
        "diltiazem",
        None,
        "contraindicated",
        C(conditions=["lv-failure-pulmonary-congestion"]),
        C(conditions=["heart-failure-nyha-3-4"]),
    ),
    "diltiazem-dantrolene": (
        "diltiazem",
        None,
        "contraindicated",
        C(medications=["dantrolene"]),
        C(),
    ),
    "diltiazem-ivabradine": (
        "diltiazem",
        None,
        "contraindicated",
        C(medications=["ivabradine"]),
        C(),
    ),
    "diltiazem-lomitapide": (
        "diltiazem",
        None,
        "contraindicated",
        C(medications=["lomitapide"]),
        C(),
    ),
    "diltiazem-pregnancy": (
        "diltiazem",
        None,
        "contraindicated",
        C(pregnant=True),
        C(pregnant=False),
    ),
    # UK SmPC 4.3 lists lactation among the contraindications (the stricter source applied)
    "diltiazem-lactation": (
        "diltiazem",
        None,
        "contraindicated",
        C(lactating=True),
        C(lactating=False),
    ),
    "diltiazem-pediatric": (  # children: caution, not a block [S]
        "diltiazem",
        "oral-weight-based-pediatric",
        "moderate",
        C(age="12 years"),
        None,
    ),
    "diltiazem-beta-blocker": (
        "diltiazem",
        None,
        "major",
        C(medications=["metoprolol"]),
        C(medications=["aspirin"]),
    ),
    "diltiazem-digoxin": ("diltiazem", None, "major", C(medications=["digoxin"]), C()),
    "diltiazem-colchicine": ("diltiazem", None, "major", C(medications=["colchicine"]), C()),
    # UK SmPC 4.5: a strong CYP3A4 inhibitor raises diltiazem levels (< 2-fold): monitoring;
    # erythromycin is a moderate inhibitor (FDA table), not strong: no finding
    "diltiazem-strong-cyp3a4-inhibitor": (
        "diltiazem",
        None,
        "moderate",
        C(medications=["clarithromycin"]),
        C(medications=["erythromycin"]),
    ),
    # statins cleared by CYP3A4 (US simvastatin and lovastatin labels); pravastatin is not one
    "diltiazem-simvastatin": (
        "diltiazem",
        None,
        "moderate",
        C(medications=["Vytorin"]),
        C(medications=["pravastatin"]),
    ),
    "diltiazem-lovastatin": (
        "diltiazem",
        None,
        "moderate",
        C(medications=["lovastatin"]),
        C(medications=["simvastatin"]),
    ),
    # ceftriaxone, UK Rocephin SmPC: severe reaction to another beta-lactam [S]; "creatinine
    # clearance < 10 ml/min": 10 itself is outside the band
    "ceftriaxone-severe-beta-lactam-allergy": (
        "ceftriaxone",
        None,
        "contraindicated",
        C(conditions=["severe-beta-lactam-allergy"]),
        C(conditions=["cephalosporin-allergy"]),
    ),
    "ceftriaxone-renal-below-10": (
        "ceftriaxone",
        None,
        "major",
        C(crcl="9 mL/min"),
        C(crcl="10 mL/min"),
    ),
    # rituximab, UK MabThera SmPC 4.3 (non-oncology): active severe infection [S]; NYHA IV
    # heart failure [S], read from the III-IV condition as a major review [P]
    "rituximab-serious-infection": (
        "rituximab",
        None,
        "contraindicated",
        C(conditions=["active-tuberculosis"]),
        C(conditions=["hbsag-positive"]),
    ),
    "rituximab-severe-heart-failure": (
        "rituximab",
        None,
        "major",
        C(conditions=["heart-failure-nyha-3-4"]),
        C(conditions=["lv-failure-pulmonary-congestion"]),
    ),
    # --- minocycline (age < 8 [S, 8 by default P], pregnancy [S], retinoids [S])
    "minocycline-age-under-8": (
        "minocycline",
        None,
        "contraindicated",
        C(age="7 years", weight="22 kg", height="120 cm"),
        C(age="8 years", weight="25 kg", height="127 cm"),  # 8 years is not below 8
    ),
    "minocycline-pregnancy": (
        "minocycline",
        None,
        "contraindicated",
        C(pregnant=True),
        C(pregnant=False),
    ),
    # UK SmPC 4.3: lactation and complete renal failure are contraindications; complete renal
    # failure read as a clearance below 15 mL/min (KDIGO G5): 14 fires, 15 does not
    "minocycline-lactation": (
        "minocycline",
        None,
        "contraindicated",
        C(lactating=True),
        C(lactating=False),
    ),
    "minocycline-complete-renal-failure": (
        "minocycline",
        None,
        "contraindicated",
        C(crcl="14 mL/min"),
        C(crcl="15 mL/min"),
    ),
    "minocycline-tetracycline-allergy": (
        "minocycline",
        None,
        "contraindicated",
        C(conditions=["tetracycline-allergy"]),
        C(),
    ),
    "minocycline-retinoid": (
        "minocycline",
        None,
        "contraindicated",
        C(medications=["isotretinoin"]),
        C(),
    ),
    "minocycline-polyvalent-cation": (
        "minocycline",
        None,
        "moderate",
        C(medications=["ferrous-sulfate"]),
        C(medications=["aspirin"]),
    ),
    "minocycline-anticoagulant": (
        "minocycline",
        None,
        "moderate",
        C(medications=["warfarin"]),
        C(),
    ),
    "minocycline-pediatric-adult-range": (
        "minocycline",
        "oral-fixed-pediatric",
        "moderate",
        C(age="10 years"),
        None,
    ),
    "minocycline-child-under-25-kg": (  # 4 mg/kg/day x 25 kg = 100 mg/day, the top of the range
        "minocycline",
        "oral-fixed-pediatric",
        "major",
        C(age="9 years", weight="24 kg", height="130 cm"),
        C(age="9 years", weight="25 kg", height="130 cm"),
    ),
    # --- warfarin (bleeding [S], pregnancy except mechanical valves [S2/G], interactions [S])
    "warfarin-calcinosis-no-benefit": ("warfarin", None, "moderate", C(), None),
    "warfarin-active-bleeding": (
        "warfarin",
        None,
        "contraindicated",
        C(conditions=["active-bleeding"]),
        C(),
    ),
    # US label contraindications: haemorrhagic tendencies or blood dyscrasias
    "warfarin-blood-dyscrasia": (
        "warfarin",
        None,
        "contraindicated",
        C(conditions=["blood-dyscrasia"]),
        C(conditions=["mechanical-heart-valve"]),
    ),
    # product decision: above 15 mg/day (1.5 x the label's 10 mg/day top of usual maintenance)
    "warfarin-implausible-daily-amount": (
        "warfarin",
        None,
        "major",
        C(_order=(20.0, 20.0)),
        C(_order=(15.0, 15.0)),
    ),
    "warfarin-pregnancy": (
        "warfarin",
        None,
        "contraindicated",
        C(pregnant=True),
        C(pregnant=True, conditions=["mechanical-heart-valve"]),
    ),
    "warfarin-pregnancy-mechanical-valve": (
        "warfarin",
        None,
        "major",
        C(pregnant=True, conditions=["mechanical-heart-valve"]),
        C(pregnant=False, conditions=["mechanical-heart-valve"]),
    ),
    "warfarin-tetracycline": ("warfarin", None, "moderate", C(medications=["minocycline"]), C()),
    "warfarin-cephalosporin": ("warfarin", None, "moderate", C(medications=["ceftriaxone"]), C()),
    "warfarin-etidronate": ("warfarin", None, "moderate", C(medications=["etidronate"]), C()),
    # --- etidronate (oesophagus, osteomalacia [S]; GFR 20-50: at most 5 mg/kg/day [S])
    "etidronate-esophageal": (
        "etidronate",
        None,
        "contraindicated",
        C(conditions=["esophageal-abnormality"]),
        C(),
    ),
    "etidronate-osteomalacia": (
        "etidronate",
        None,
        "contraindicated",
        C(conditions=["osteomalacia"]),
        C(),
    ),
    "etidronate-renal-20-50": (
        "etidronate",
        "oral-standard",
        "major",
        C(crcl="35 mL/min"),
        # Renal Drug Handbook "GFR 20 to 50": 50 is inside, 50.5 is not (was 50 when the
        # table read "below 50")
        C(crcl="50.5 mL/min"),
    ),
    "etidronate-renal-high-dose": (
        "etidronate",
        "oral-high-dose",
        "major",
        C(crcl="45 mL/min"),
        C(crcl="50.5 mL/min"),
    ),
    "etidronate-renal-below-20": (
        "etidronate",
        None,
        "major",
        C(crcl="15 mL/min"),
        C(crcl="20 mL/min"),
    ),
    "etidronate-cation-separation": (
        "etidronate",
        None,
        "moderate",
        C(medications=["calcium-carbonate"]),
        C(),
    ),
    "etidronate-warfarin": ("etidronate", None, "moderate", C(medications=["warfarin"]), C()),
    "etidronate-phosphate-monitoring": ("etidronate", None, "info", C(), None),
    # --- alendronate (CrCl < 35 not recommended [S]; oesophagus, upright, hypocalcaemia [S])
    "alendronate-crcl-below-35": (
        "alendronate",
        None,
        "major",
        C(crcl="34 mL/min"),
        C(crcl="35 mL/min"),
    ),
    "alendronate-esophageal": (
        "alendronate",
        None,
        "contraindicated",
        C(conditions=["esophageal-abnormality"]),
        C(),
    ),
    "alendronate-cannot-stay-upright": (
        "alendronate",
        None,
        "contraindicated",
        C(conditions=["cannot-sit-upright-30-min"]),
        C(),
    ),
    "alendronate-hypocalcemia": (
        "alendronate",
        None,
        "contraindicated",
        C(conditions=["hypocalcemia"]),
        C(conditions=["hypercalcemia"]),
    ),
    "alendronate-take-first": ("alendronate", None, "info", C(), None),
    "alendronate-cation-separation": (
        "alendronate",
        None,
        "moderate",
        C(medications=["aluminium-hydroxide"]),
        C(),
    ),
    # --- pamidronate (not dosable)
    "pamidronate-no-sourced-dose": ("pamidronate", None, "info", C(), None),
    "pamidronate-phosphate-monitoring": ("pamidronate", None, "info", C(), None),
    # --- probenecid (age < 2, blood dyscrasia, urate stones [S]; CrCl < 30 [S]; interactions)
    "probenecid-age-under-2": (
        "probenecid",
        None,
        "contraindicated",
        C(age="18 months", weight="11 kg", height="80 cm"),
        C(age="2 years", weight="12 kg", height="86 cm"),
    ),
    "probenecid-blood-dyscrasia": (
        "probenecid",
        None,
        "contraindicated",
        C(conditions=["blood-dyscrasia"]),
        C(),
    ),
    "probenecid-uric-acid-stones": (
        "probenecid",
        None,
        "contraindicated",
        C(conditions=["uric-acid-kidney-stones"]),
        C(),
    ),
    "probenecid-crcl-below-30": (
        "probenecid",
        None,
        "major",
        # US label: "30 mL/minute or less": 30 fires (it did not when the table read "< 30")
        C(crcl="30 mL/min"),
        C(crcl="30.5 mL/min"),
    ),
    "probenecid-salicylate": ("probenecid", None, "major", C(medications=["aspirin"]), C()),
    "probenecid-methotrexate": (  # contraindicated in the French thesaurus [S]
        "probenecid",
        None,
        "contraindicated",
        C(medications=["methotrexate"]),
        C(),
    ),
    "probenecid-beta-lactam": (
        "probenecid",
        None,
        "moderate",
        C(medications=["amoxicillin"]),
        C(medications=["doxycycline"]),
    ),
    # --- colchicine (strong CYP3A4/P-gp inhibitors: contraindicated with renal or hepatic
    # impairment [S]; CrCl < 30: 0.3 mg/day [S2]; diltiazem: reduce, source conflict [P])
    "colchicine-strong-inhibitor-organ-impairment": (
        "colchicine",
        None,
        "contraindicated",
        C(medications=["clarithromycin"], crcl="60 mL/min"),
        C(medications=["clarithromycin"], crcl="90 mL/min"),
    ),
    "colchicine-strong-inhibitor": (
        "colchicine",
        None,
        "major",
        C(medications=["clarithromycin"]),
        C(medications=["erythromycin"]),
    ),
    "colchicine-diltiazem": ("colchicine", None, "major", C(medications=["diltiazem"]), C()),
    "colchicine-verapamil": ("colchicine", None, "major", C(medications=["verapamil"]), C()),
    "colchicine-moderate-cyp3a4": (
        "colchicine",
        None,
        "major",
        C(medications=["erythromycin"]),
        C(medications=["diltiazem"]),  # diltiazem has its own rule, with its own limits
    ),
    "colchicine-moderate-inhibitor-organ-impairment": (
        "colchicine",
        None,
        "major",
        C(medications=["erythromycin"], conditions=["hepatic-impairment"]),
        C(medications=["erythromycin"]),
    ),
    "colchicine-crcl-below-30": (
        "colchicine",
        None,
        "major",
        C(crcl="29 mL/min"),
        C(crcl="30 mL/min"),
    ),
    # UK SmPC: not in haemodialysis; US label: 0.3 mg twice a week; strictest: contraindicated.
    # Dialysis is a treatment: a clearance of 12 mL/min without it does not fire the rule
    "colchicine-hemodialysis": (
        "colchicine",
        None,
        "contraindicated",
        C(conditions=["hemodialysis"]),
        C(crcl="12 mL/min"),
    ),
    # UK SmPC 4.3: severe renal impairment, "creatinine clearance less than 10ml/minute"
    "colchicine-crcl-below-10": (
        "colchicine",
        None,
        "contraindicated",
        C(crcl="9 mL/min"),
        C(crcl="10 mL/min"),
    ),
    # --- phosphate binders (not indicated without hyperphosphataemia [P]; Mg in CKD [S, P 30])
    "aluminium-hydroxide-needs-hyperphosphatemia": (
        "aluminium-hydroxide",
        None,
        "moderate",
        C(),
        C(conditions=["hyperphosphatemia"]),
    ),
    "aluminium-hydroxide-renal-toxicity": (
        "aluminium-hydroxide",
        None,
        "major",
        C(conditions=["renal-impairment"]),
        C(),
    ),
    "aluminium-hydroxide-chelation": (
        "aluminium-hydroxide",
        None,
        "moderate",
        C(medications=["minocycline"]),
        C(),
    ),
    "magnesium-hydroxide-needs-hyperphosphatemia": (
        "magnesium-hydroxide",
        None,
        "moderate",
        C(),
        C(conditions=["hyperphosphatemia"]),
    ),
    "magnesium-hydroxide-severe-ckd": (
        "magnesium-hydroxide",
        None,
        "contraindicated",
        C(crcl="29 mL/min"),
        C(crcl="30 mL/min"),
    ),
    "magnesium-hydroxide-renal-impairment": (
        "magnesium-hydroxide",
        None,
        "major",
        C(conditions=["renal-impairment"]),
        C(),
    ),
    "magnesium-hydroxide-chelation": (
        "magnesium-hydroxide",
        None,
        "moderate",
        C(medications=["alendronate"]),
        C(),
    ),
    # --- sodium thiosulfate (off-label IV; acidosis, hypotension [S]; child QT [S])
    "sodium-thiosulfate-iv-off-label": (
        "sodium-thiosulfate",
        "intravenous",
        "info",
        C(),
        None,
    ),
    "sodium-thiosulfate-iv-monitoring": (
        "sodium-thiosulfate",
        "intravenous",
        "moderate",
        C(),
        None,
    ),
    "sodium-thiosulfate-pediatric-calcium": (
        "sodium-thiosulfate",
        "intravenous-pediatric",
        "moderate",
        C(age="12 years"),
        None,
    ),
    # --- ceftriaxone (neonates with IV calcium or hyperbilirubinaemia; allergy; never
    # co-infused with calcium [S]; warfarin [S])
    "ceftriaxone-neonate-calcium-iv": (
        "ceftriaxone",
        None,
        "contraindicated",
        {**NEONATE, "medications": ["calcium-iv"]},
        {**NEONATE, "age": "40 d", "medications": ["calcium-iv"]},
    ),
    "ceftriaxone-neonate-hyperbilirubinemia": (
        "ceftriaxone",
        None,
        "contraindicated",
        {**NEONATE, "conditions": ["hyperbilirubinemia"]},
        {**NEONATE, "age": "40 d", "conditions": ["hyperbilirubinemia"]},
    ),
    "ceftriaxone-cephalosporin-allergy": (
        "ceftriaxone",
        None,
        "contraindicated",
        C(conditions=["cephalosporin-allergy"]),
        C(conditions=["tetracycline-allergy"]),
    ),
    "ceftriaxone-calcium-coinfusion": (
        "ceftriaxone",
        None,
        "major",
        C(medications=["calcium-iv"]),
        C(medications=["calcium-carbonate"]),
    ),
    "ceftriaxone-warfarin": ("ceftriaxone", None, "moderate", C(medications=["warfarin"]), C()),
    "ceftriaxone-pediatric-no-calcinosis-source": (
        "ceftriaxone",
        "iv-pediatric",
        "moderate",
        C(age="10 years"),
        None,
    ),
    # --- immune globulin (IgA deficiency with anti-IgA [S]; boxed warnings [S])
    "immune-globulin-iga-deficiency": (
        "immune-globulin",
        None,
        "contraindicated",
        C(conditions=["iga-deficiency-anti-iga"]),
        C(),
    ),
    "immune-globulin-thrombosis-risk": (
        "immune-globulin",
        None,
        "major",
        C(conditions=["thrombosis-risk"]),
        C(),
    ),
    "immune-globulin-renal-risk": (  # risk factors: renal insufficiency, diabetes, age > 65 [S]
        "immune-globulin",
        None,
        "major",
        C(age="66 years"),
        C(age="64 years"),
    ),
    # boxed warning, pre-existing renal insufficiency: the renal-impairment band (below 60)
    "immune-globulin-renal-insufficiency": (
        "immune-globulin",
        None,
        "major",
        C(crcl="59 mL/min"),
        C(crcl="60 mL/min"),
    ),
    # Ontario IG dose calculator: adjusted weight for BMI above 30 (from 152.4 cm); BASE is
    # 70 kg, 170 cm (24.2): 90 kg at 170 cm is 31.1
    # boxed warning: estrogen use is a thrombosis risk factor; a progestogen alone is not
    "immune-globulin-estrogen-thrombosis": (
        "immune-globulin",
        None,
        "major",
        C(medications=["estradiol"]),
        C(medications=["levonorgestrel"]),
    ),
    "immune-globulin-obesity-dosing-weight": (
        "immune-globulin",
        None,
        "major",
        C(weight="90 kg"),
        C(weight="86.7 kg"),  # 86.7 / 1.70^2 = 30.0: not above 30
    ),
    "immune-globulin-boxed-warnings": ("immune-globulin", None, "info", C(), None),
    # --- 2026-12 re-audit: lactation, pregnancy, complete renal failure (UK SmPC 4.3/4.6)
    "colchicine-pregnancy": (
        "colchicine",
        None,
        "contraindicated",
        C(pregnant=True),
        C(pregnant=False),
    ),
    # UK leaflet and SmPC: not while breast-feeding (the stricter source applied)
    # UK leaflet: not for women of childbearing age without contraception (BASE: a woman of 54,
    # inside the 12-to-under-56 window of tables/meta.toml)
    "colchicine-contraception": ("colchicine", None, "moderate", C(), C(sex="male")),
    "colchicine-lactation": (
        "colchicine",
        None,
        "contraindicated",
        C(lactating=True),
        C(lactating=False),
    ),
    "alendronate-pregnancy": ("alendronate", None, "major", C(pregnant=True), C()),
    "etidronate-pregnancy": ("etidronate", None, "major", C(pregnant=True), C()),
    # SmPC 4.6: not while breast-feeding (alendronate: given the indication; pamidronate:
    # treated mothers should not breast-feed)
    "alendronate-lactation": ("alendronate", None, "major", C(lactating=True), C()),
    "pamidronate-lactation": ("pamidronate", None, "major", C(lactating=True), C()),
    "pamidronate-pregnancy": ("pamidronate", None, "major", C(pregnant=True), C()),
    # --- rituximab (HBsAg positive: major; unknown: cannot-check [S, P])
    "rituximab-hbsag-positive": (
        "rituximab",
        None,
        "major",
        C(labs={"hbsag": "positive", "anti-hbc": "positive"}),
        C(labs={"hbsag": "negative", "anti-hbc": "negative"}),
    ),
    "rituximab-anti-hbc-positive": (
        "rituximab",
        None,
        "moderate",
        C(labs={"hbsag": "negative", "anti-hbc": "positive"}),
        C(labs={"hbsag": "negative", "anti-hbc": "negative"}),
    ),
    "rituximab-tnf-inhibitor": (  # additive immunosuppression, avoid [G]
        "rituximab",
        None,
        "major",
        C(medications=["infliximab"]),
        C(),
    ),
    "rituximab-pediatric-adult-schedule": (
        "rituximab",
        "iv-bsa",
        "moderate",
        C(age="12 years", weight="40 kg", height="150 cm"),
        C(),
    ),
    # --- infliximab (active TB, serious infection [S]; NYHA III/IV [S]; demyelination [S])
    "infliximab-active-tuberculosis": (
        "infliximab",
        None,
        "contraindicated",
        C(conditions=["active-tuberculosis"]),
        C(),
    ),
    "infliximab-latent-tuberculosis": (
        "infliximab",
        None,
        "major",
        C(labs={"tb-screen": "positive", "hbsag": "negative", "anti-hbc": "negative"}),
        C(),
    ),
    "infliximab-serious-infection": (
        "infliximab",
        None,
        "contraindicated",
        C(conditions=["serious-infection"]),
        C(),
    ),
    # > 5 mg/kg is contraindicated in NYHA III/IV [S]; calcidose has no infliximab dose, so the
    # tables make it a major finding on the condition
    "infliximab-heart-failure": (
        "infliximab",
        None,
        "major",
        C(conditions=["heart-failure-nyha-3-4"]),
        C(),
    ),
    # US label: above 5 mg/kg contraindicated in NYHA III/IV. BASE weighs 70 kg:
    # 400 mg / 70 kg = 5.71 mg/kg (above 5); 350 mg / 70 kg = 5.0 mg/kg (at 5: not above)
    "infliximab-heart-failure-above-5-mg-kg": (
        "infliximab",
        None,
        "contraindicated",
        C(conditions=["heart-failure-nyha-3-4"], _order=(400.0, None)),
        C(conditions=["heart-failure-nyha-3-4"], _order=(350.0, None)),
    ),
    "infliximab-demyelinating": (
        "infliximab",
        None,
        "major",
        C(conditions=["demyelinating-disease"]),
        C(),
    ),
    "infliximab-anti-cd20": ("infliximab", None, "major", C(medications=["rituximab"]), C()),
    # --- non-drug options
    "autologous-hsct-specialist-only": ("autologous-hsct", None, "major", C(), None),
    "co2-laser-scarring": ("co2-laser", None, "info", C(), None),
    "diet-restriction-needs-abnormal-levels": (
        "diet",
        None,
        "info",
        C(),
        C(conditions=["hypercalcemia"]),
    ),
    "myo-inositol-hexaphosphate-animal-data-only": (
        "myo-inositol-hexaphosphate",
        None,
        "moderate",
        C(),
        None,
    ),
    "pinch-punch-recurrence": ("pinch-punch", None, "info", C(), None),
    "shock-wave-lithotripsy-expectations": ("shock-wave-lithotripsy", None, "info", C(), None),
    "surgery-test-site-first": ("surgery", None, "info", C(), None),
    "triamcinolone-acetonide-local-atrophy": ("triamcinolone-acetonide", None, "info", C(), None),
}


def _all_rules() -> dict[str, tuple[Drug, Rule]]:
    return {rule.id: (drug, rule) for drug in CAT.drugs.values() for rule in drug.rules}


def test_every_rule_of_the_tables_has_cases() -> None:
    """A rule added to the tables without a firing and a non-firing case fails here."""
    assert set(CASES) == set(_all_rules())


def _order_for(spec: dict[str, Any]) -> rules.OrderFacts | None:
    """An order rule's case gives the order as ``_order`` (mg per administration, mg/day)."""
    given = spec.get("_order")
    return None if given is None else rules.OrderFacts(given[0], given[1], None)


def _patient_for(spec: dict[str, Any]) -> Patient:
    spec = {k: v for k, v in spec.items() if k != "_order"}
    if "age" in spec and spec.get("weight") == "3.5 kg":  # the neonate is its own patient
        return Patient(**spec)
    return patient(**spec)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id: str) -> None:
    drug, regimen, severity, fire, _ = CASES[rule_id]
    found = findings(drug, _patient_for(fire), regimen, _order_for(fire))
    assert rule_id in found, sorted(found)
    assert found[rule_id].severity == severity
    assert f"{rule_id}:cannot-check" not in found
    assert found[rule_id].management  # says what to do


@pytest.mark.parametrize("rule_id", sorted(k for k, v in CASES.items() if v[4] is not None))
def test_rule_does_not_fire(rule_id: str) -> None:
    drug, regimen, _, _, quiet = CASES[rule_id]
    assert quiet is not None
    found = findings(drug, _patient_for(quiet), regimen, _order_for(quiet))
    assert rule_id not in found
    assert f"{rule_id}:cannot-check" not in found  # known not to apply, not unknown


@pytest.mark.parametrize("rule_id", sorted(k for k, v in CASES.items() if v[4] is None))
def test_always_rules(rule_id: str) -> None:
    """An 'always' rule fires even when nothing is known of the patient, and it must not fire
    for another drug, nor (when limited to regimens) for the drug's other regimens."""
    drug_id, regimen, _, _, _ = CASES[rule_id]
    drug, rule = _all_rules()[rule_id]
    assert rule.when == {"always": True}
    assert rule_id in findings(drug_id, Patient(), regimen)
    other = "diltiazem" if drug_id != "diltiazem" else "minocycline"
    assert rule_id not in findings(other, patient())
    others = [r.id for r in drug.regimens if r.id not in rule.regimens]
    if rule.regimens and others:
        assert rule_id not in findings(drug_id, patient(), others[0])


# --- fail closed --------------------------------------------------------------------------------


def test_age_unknown_for_minocycline_names_age() -> None:
    found = findings("minocycline", patient(age=None))
    f = found["minocycline-age-under-8:cannot-check"]
    assert f.severity == "cannot-check"
    assert f.missing == ("age",)
    assert "age" in f.message
    assert f.management.startswith("Give the patient's age")


def test_hbv_status_unknown_for_rituximab_names_it() -> None:
    found = findings("rituximab", patient(labs=None))
    f = found["rituximab-hbsag-positive:cannot-check"]
    assert f.missing == ("lab hbsag",)
    assert "HBsAg" in f.message
    # the condition alone does not settle it: a negative lab result does
    assert "rituximab-hbsag-positive:cannot-check" not in findings(
        "rituximab", patient(labs={"hbsag": "negative", "anti-hbc": "negative"})
    )


def test_pregnancy_unknown_is_cannot_check_not_a_pass() -> None:
    found = findings("minocycline", patient(pregnant=None))
    assert found["minocycline-pregnancy:cannot-check"].missing == ("pregnancy status",)
    # a male patient is known not to be pregnant
    assert "minocycline-pregnancy:cannot-check" not in findings(
        "minocycline", patient(sex="male", pregnant=None, lactating=None)
    )


def test_unknown_medication_and_condition_are_named() -> None:
    found = findings("diltiazem", patient(medications=["notadrug"], conditions=["made-up"]))
    assert "'notadrug'" in found["unknown-medication"].message
    assert found["unknown-medication"].missing == ("medication notadrug",)
    assert "'made-up'" in found["unknown-condition"].message
    assert found["unknown-condition"].severity == "cannot-check"
    plan = calcidose.dose("diltiazem", patient(medications=["notadrug"]))
    assert plan.status == "cannot-check"


def test_no_fuzzy_matching_of_medications() -> None:
    # "clarithromicin" (one letter off) is not "clarithromycin": unknown, never guessed; the
    # suggestion is only said. (Case is not a misspelling: "Clarithromycin" resolves, issue 11.)
    found = findings("colchicine", patient(medications=["clarithromicin"]))
    assert "unknown-medication" in found
    assert "colchicine-strong-inhibitor" not in found
    assert "did you mean clarithromycin" in found["unknown-medication"].message


def test_synonyms_resolve_exactly() -> None:
    # tables/substances.toml: cyclosporine has the exact synonym "ciclosporin"
    found = findings("colchicine", patient(medications=["ciclosporin"]))
    assert "colchicine-strong-inhibitor" in found
    assert "cyclosporine" in found["colchicine-strong-inhibitor"].message


# --- renal function --------------------------------------------------------------------------


def test_crcl_from_serum_creatinine_is_cockcroft_gault_in_the_trace() -> None:
    # male, 60 years, 70 kg, SCr 2.5 mg/dL: (140 - 60) x 70 / (72 x 2.5) = 5600 / 180
    # = 31.11 mL/min (Cockcroft & Gault 1976) -> below 35: alendronate not recommended
    p = patient(
        sex="male", age="60 years", crcl=None, scr="2.5 mg/dL", pregnant=None, lactating=None
    )
    outcome = rules.evaluate(CAT, CAT.drugs["alendronate"], None, p)
    assert "alendronate-crcl-below-35" in {f.code for f in outcome.findings}
    step = outcome.steps[0]
    assert step.label == "creatinine clearance"
    assert step.value == pytest.approx(5600 / 180)
    assert "Cockcroft-Gault" in step.formula
    # 2.0 mg/dL: 5600 / 144 = 38.9 mL/min, not below 35
    p2 = patient(
        sex="male", age="60 years", crcl=None, scr="2 mg/dL", pregnant=None, lactating=None
    )
    assert "alendronate-crcl-below-35" not in {
        f.code for f in rules.evaluate(CAT, CAT.drugs["alendronate"], None, p2).findings
    }


def test_crcl_given_wins_over_creatinine() -> None:
    # SCr 2.5 would give 31 mL/min; the measured 45 mL/min is used (and shown as given)
    p = patient(sex="male", age="60 years", crcl="45 mL/min", scr="2.5 mg/dL", pregnant=None)
    outcome = rules.evaluate(CAT, CAT.drugs["alendronate"], None, p)
    assert "alendronate-crcl-below-35" not in {f.code for f in outcome.findings}
    assert outcome.steps[0].formula == "as given: {crcl}"


def test_crcl_unknown_names_what_is_missing() -> None:
    found = findings("alendronate", patient(crcl=None))
    assert found["alendronate-crcl-below-35:cannot-check"].missing == ("crcl or serum creatinine",)
    found = findings("alendronate", patient(crcl=None, scr="1 mg/dL", sex=None, pregnant=None))
    assert found["alendronate-crcl-below-35:cannot-check"].missing == ("crcl or sex",)


def test_cockcroft_gault_is_not_extrapolated_to_children() -> None:
    p = Patient(age="10 years", weight="30 kg", height="138 cm", sex="male", scr="0.5 mg/dL")
    found = findings("probenecid", p)
    assert found["probenecid-crcl-below-30:cannot-check"].missing == (
        "crcl (Cockcroft-Gault is for adults)",
    )


# --- computed severities, limits and separations -----------------------------------------------


def test_colchicine_strong_inhibitor_severity_depends_on_organ_function() -> None:
    """EVIDENCE.md: contraindicated with a strong CYP3A4/P-gp inhibitor only when renal or
    hepatic function is impaired; otherwise a dose reduction (0.3 mg/day, US label)."""
    normal = findings("colchicine", patient(medications=["clarithromycin"], crcl="90 mL/min"))
    assert "colchicine-strong-inhibitor-organ-impairment" not in normal
    assert normal["colchicine-strong-inhibitor"].severity == "major"
    assert "at most 0.3 mg/day" in normal["colchicine-strong-inhibitor"].message
    renal = findings("colchicine", patient(medications=["clarithromycin"], crcl="60 mL/min"))
    assert renal["colchicine-strong-inhibitor-organ-impairment"].severity == "contraindicated"
    hepatic = findings(
        "colchicine", patient(medications=["ketoconazole"], conditions=["hepatic-impairment"])
    )
    assert hepatic["colchicine-strong-inhibitor-organ-impairment"].severity == "contraindicated"
    assert "ketoconazole" in hepatic["colchicine-strong-inhibitor-organ-impairment"].message
    # renal function unknown: the contraindication cannot be ruled out, the reduction applies
    unknown = findings("colchicine", patient(medications=["clarithromycin"], crcl=None))
    assert unknown["colchicine-strong-inhibitor-organ-impairment:cannot-check"].missing == (
        "crcl or serum creatinine",
    )
    assert "colchicine-strong-inhibitor" in unknown
    # the known major interaction outranks the unknown contraindication (docs/checking.md,
    # status precedence); the plan says it is incomplete and exits 1 either way
    plan = calcidose.dose("colchicine", patient(medications=["clarithromycin"], crcl=None))
    assert (plan.status, plan.complete, plan.exit_code) == ("major", False, 1)


def test_colchicine_with_diltiazem_limit_strictest_source_wins() -> None:
    """US label: 0.3 mg twice daily or 0.6 mg once daily (0.6 mg/day) against the ESC/EHJ 2021
    table's 1 mg/day: the stricter 0.6 mg/day applies and the conflict names both sources."""
    p = patient(medications=["diltiazem"])
    outcome = rules.evaluate(CAT, CAT.drugs["colchicine"], None, p)
    codes = {f.code: f for f in outcome.findings}
    conflict = codes["colchicine-diltiazem:source-conflict"]
    assert "0.6 mg/day (colchicine-label-us)" in conflict.message
    assert "1 mg/day (ehj-2021-colchicine)" in conflict.message
    assert set(conflict.sources) == {"colchicine-label-us", "ehj-2021-colchicine"}
    (limit,) = outcome.limits
    assert (limit.per, limit.value) == ("day", 0.6)
    assert any(s.label == "source conflict (colchicine-diltiazem)" for s in outcome.steps)
    plan = calcidose.dose("colchicine", p)
    assert plan.dose is not None
    assert (plan.dose.low, plan.dose.high) == (0.6, 0.6)  # 1 mg/day capped to 0.6 mg/day


def test_colchicine_severe_renal_impairment_limit() -> None:
    plan = calcidose.dose("colchicine", patient(crcl="25 mL/min"))
    assert plan.dose is not None
    assert plan.dose.high == 0.3  # CrCl < 30 mL/min: 0.3 mg/day (EVIDENCE [S2])


def test_separation_names_interval_and_what_to_separate_from() -> None:
    # minocycline with calcium carbonate: separate, at least 2 hours ([S] "separate", [P] 2 h)
    f = findings("minocycline", patient(medications=["calcium-carbonate", "ferrous-sulfate"]))[
        "minocycline-polyvalent-cation"
    ]
    assert "at least 2 hours" in f.message
    assert "calcium carbonate" in f.message and "ferrous sulfate" in f.message
    # alendronate first, at least 30 minutes before anything [S/G]
    f = findings("alendronate", patient())["alendronate-take-first"]
    assert "at least 30 minutes" in f.message
    # etidronate: 2 h from antacids (label)
    f = findings("etidronate", patient(medications=["aluminium-hydroxide"]))[
        "etidronate-cation-separation"
    ]
    assert "at least 2 hours" in f.message and "aluminium hydroxide" in f.message


def test_interaction_names_the_medication_that_triggered_it() -> None:
    f = findings("diltiazem", patient(medications=["atenolol", "aspirin"]))[
        "diltiazem-beta-blocker"
    ]
    assert "(patient takes: atenolol)" in f.message


# --- the language, on a catalog built here (numbers chosen by the test) --------------------


def _tiny(rule: Rule) -> tuple[Catalog, Drug]:
    drug = attrs.evolve(CAT.drugs["etidronate"], rules=(rule,))
    cat = attrs.evolve(CAT, drugs={**CAT.drugs, "etidronate": drug})
    return cat, drug


def test_weight_scaled_limit_is_computed_for_the_patient() -> None:
    """A limit per kg (as the UK Renal Drug Handbook gives etidronate at GFR 20-50: 5 mg/kg/day)
    becomes a per-day limit for this patient: 5 mg/kg/day x 70 kg = 350 mg/day."""
    rule = Rule(
        "test-renal-per-kg",
        "dose-adjustment",
        "major",
        {"crcl_below": {"value": 50, "unit": "mL/min"}},
        "Reduce.",
        "At most 5 mg/kg/day.",
        ("uk-renal-drug-handbook",),
        adjust=(RuleAdjustment("day", TQuantity(5, "mg/kg/d"), ("uk-renal-drug-handbook",)),),
    )
    cat, drug = _tiny(rule)
    outcome = rules.evaluate(cat, drug, None, patient(crcl="35 mL/min"))
    (limit,) = outcome.limits
    assert limit.value == pytest.approx(350.0)
    assert limit.unit == "mg/d"
    assert "at most 5 mg/kg/day x 70 kg = 350 mg/day" in outcome.findings[0].message
    plan = calcidose.dose("etidronate", patient(crcl="35 mL/min"), "oral-standard", catalog=cat)
    assert plan.dose is not None and plan.dose.high == pytest.approx(350.0)  # 10 x 70 = 700
    missing = rules.evaluate(cat, drug, None, patient(crcl="35 mL/min", weight=None, height=None))
    assert missing.findings[0].code == "test-renal-per-kg:cannot-check"
    assert missing.findings[0].missing == ("weight",)


def test_order_predicates_read_the_order_only() -> None:
    """The warfarin finding of EVIDENCE.md is for a calcinosis order of <= 1 mg/day: a rule can
    say so with an order leaf. Without an order (a dose plan) the rule is not evaluated."""
    rule = Rule(
        "test-low-dose",
        "indication",
        "moderate",
        {"order_per_day_at_most": {"value": 1, "unit": "mg/d"}},
        "No established benefit.",
        "Do not use for calcinosis.",
        ("traineau-2020",),
    )
    cat, drug = _tiny(rule)
    low = rules.evaluate(cat, drug, None, patient(), rules.OrderFacts(1.0, 1.0, None))
    assert [f.code for f in low.order_findings] == ["test-low-dose"]
    assert low.findings == []
    high = rules.evaluate(cat, drug, None, patient(), rules.OrderFacts(5.0, 5.0, None))
    assert high.order_findings == []
    weekly = rules.evaluate(cat, drug, None, patient(), rules.OrderFacts(5.0, None, 5.0))
    assert weekly.order_findings[0].missing == ("ordered amount per day",)
    plan = rules.evaluate(cat, drug, None, patient())
    assert plan.findings == [] and plan.order_findings == []
    assert rules.rule_uses_order(rule)


def test_three_valued_logic() -> None:
    ctx = rules.Context(CAT, Patient(sex="female"))
    unknown = {"age_below": {"value": 8, "unit": "a"}}
    false = {"condition": "pacemaker"}
    true = {"always": True}
    ev = rules.evaluate_predicate
    assert ev({"all": [unknown, false]}, ctx) is False  # false wins in all
    assert ev({"all": [unknown, true]}, ctx) is None
    assert ev({"any": [unknown, true]}, ctx) is True  # true wins in any
    assert ev({"any": [unknown, false]}, ctx) is None
    assert ev({"not": unknown}, ctx) is None  # not keeps unknown unknown
    assert ev({"not": false}, ctx) is True
    assert ctx.missing == {"age"}


def test_evaluate_is_compiled_once_per_drug() -> None:
    # The compiled rules are reused: the same finding object comes back for the same patient.
    p = patient(conditions=["hypotension"])
    first = findings("diltiazem", p)["diltiazem-hypotension"]
    again = findings("diltiazem", p)["diltiazem-hypotension"]
    assert first is again


# --- properties ---------------------------------------------------------------------------------

MEDS = sorted(CAT.aliases)
CONDITIONS = sorted(CAT.conditions)
DRUGS = sorted(CAT.drugs)


@st.composite
def patients(draw: st.DrawFn, complete: bool = False) -> dict[str, Any]:
    """Patient keyword arguments drawn from the catalog's vocabulary."""
    opt = (lambda s: s) if complete else (lambda s: st.one_of(st.none(), s))
    sex = draw(opt(st.sampled_from(["female", "male"])))
    kw: dict[str, Any] = {
        "weight": draw(opt(st.sampled_from(["45 kg", "70 kg", "110 kg"]))),
        "height": draw(opt(st.sampled_from(["160 cm", "175 cm"]))),
        "age": draw(opt(st.sampled_from(["20 years", "54 years", "70 years"]))),
        "sex": sex,
        "crcl": draw(opt(st.sampled_from(["15 mL/min", "25 mL/min", "45 mL/min", "90 mL/min"]))),
        "conditions": draw(st.lists(st.sampled_from(CONDITIONS), max_size=3, unique=True)),
        "medications": draw(st.lists(st.sampled_from(MEDS), max_size=3, unique=True)),
        "labs": draw(
            opt(
                st.fixed_dictionaries(
                    {
                        "hbsag": st.sampled_from(["positive", "negative"]),
                        "anti-hbc": st.sampled_from(["positive", "negative"]),
                        "tb-screen": st.sampled_from(["positive", "negative"]),
                    }
                )
            )
        ),
    }
    if sex != "male":
        kw["pregnant"] = draw(opt(st.booleans()))
        kw["lactating"] = draw(opt(st.booleans()))
    return {k: v for k, v in kw.items() if v is not None}


def _codes(drug: str, kw: dict[str, Any]) -> list[tuple[str, str]]:
    plan = calcidose.dose(drug, Patient(**kw))
    return sorted((f.severity, f.code) for f in plan.findings)


@given(st.sampled_from(DRUGS), patients(), st.randoms())
def test_order_of_medications_never_changes_findings(
    drug: str, kw: dict[str, Any], rnd: Any
) -> None:
    meds = list(kw.get("medications", []))
    shuffled = meds[:]
    rnd.shuffle(shuffled)
    assert _codes(drug, kw) == _codes(drug, {**kw, "medications": shuffled})
    # the evaluator alone, too (patients keep their lists sorted; the rules must not care)
    entry = CAT.drugs[drug]
    a = rules.evaluate(CAT, entry, None, Patient(**kw))
    b = rules.evaluate(CAT, entry, None, Patient(**{**kw, "medications": shuffled}))
    assert sorted(f.code for f in a.findings) == sorted(f.code for f in b.findings)


def _named(drug: Drug) -> tuple[set[str], set[str]]:
    """The substances and classes a drug's rules name."""
    taking: set[str] = set()
    classes: set[str] = set()

    def walk(node: Any) -> None:
        for key, value in node.items():
            if key in ("all", "any"):
                for part in value:
                    walk(part)
            elif key == "not":
                walk(value)
            elif key == "taking":
                taking.add(value)
            elif key == "taking_class":
                classes.add(value)

    for rule in drug.rules:
        walk(rule.when)
    return taking, classes


def _classes_of(ident: str) -> set[str]:
    found: set[str] = set()
    if ident in CAT.drugs:
        found.update(CAT.drugs[ident].classes)
    if ident in CAT.substances:
        found.update(CAT.substances[ident].classes)
    return found


@given(st.sampled_from(DRUGS), patients(), st.sampled_from(MEDS))
def test_adding_an_unrelated_drug_never_removes_a_finding(
    drug: str, kw: dict[str, Any], extra: str
) -> None:
    target = CAT.aliases[extra]
    taking, classes = _named(CAT.drugs[drug])
    if target in taking or _classes_of(target) & classes or extra in kw["medications"]:
        return  # related: it may change findings by design
    before = set(_codes(drug, kw))
    after = set(_codes(drug, {**kw, "medications": [*kw["medications"], extra]}))
    assert before <= after


def _reads_reproduction(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if "pregnant" in node or "lactating" in node:
        return True
    parts = [*node.get("all", []), *node.get("any", [])]
    if "not" in node:
        parts.append(node["not"])
    return any(_reads_reproduction(part) for part in parts)


_REPRODUCTIVE_CODES = {
    code
    for drug in CAT.drugs.values()
    for rule in drug.rules
    if _reads_reproduction(rule.when)
    for code in (rule.id, f"{rule.id}:cannot-check")
}


def _stated_outside_window(kw: dict[str, Any], field: str) -> bool:
    """A stated pregnancy or lactation, removed (directly or with sex), for a patient whose age
    is outside the 12 to under 56 years window of the shipped tables."""
    if field not in ("pregnant", "lactating", "sex"):
        return False
    if not (kw.get("pregnant") or kw.get("lactating")):
        return False
    age = Patient(age=kw["age"]).age_years if kw.get("age") is not None else None
    return age is not None and not 12 <= age < 56


_REMOVABLE = ("weight", "height", "age", "sex", "crcl", "pregnant", "lactating", "labs")


@given(st.sampled_from(DRUGS), patients(complete=True), st.sampled_from(_REMOVABLE))
def test_removing_data_never_yields_ok(drug: str, kw: dict[str, Any], field: str) -> None:
    """Less information can only move a result towards cannot-check: if the patient without
    ``field`` comes out ok, the complete patient is ok with the same findings (the field was
    not needed); and a finding that needed the field never silently disappears."""
    if field not in kw:
        return
    fewer = {k: v for k, v in kw.items() if k != field}
    if field == "sex":
        fewer.pop("pregnant", None)
        fewer.pop("lactating", None)
    full = calcidose.dose(drug, Patient(**kw))
    less = calcidose.dose(drug, Patient(**fewer))
    if _stated_outside_window(kw, field):
        # The one exception, a product decision (tables/meta.toml [childbearing_potential]):
        # outside the childbearing-potential window an unstated pregnancy or lactation is no.
        # Removing a stated "yes" there loses exactly the rules that read it, and the trace
        # says that they were not asked.
        lost = {f.code for f in full.findings} - {f.code for f in less.findings}
        assert lost <= _REPRODUCTIVE_CODES, lost
        if lost:
            # the step names what the window decided: "pregnancy", "lactation" or both
            removed = {"pregnant": "pregnancy", "lactating": "lactation"}.get(field)
            labels = {s.label for s in less.trace}
            assert any(
                label.endswith(" not asked") and (removed is None or removed in label)
                for label in labels
            ), labels
        return
    if less.status == "ok":
        assert full.status == "ok"
        assert {f.code for f in full.findings} == {f.code for f in less.findings}
    lost = {f.code for f in full.findings} - {f.code for f in less.findings}
    # a clearance and a renal condition that disagree (renal-function-conflict, info) is a
    # finding about two inputs: removing one of them removes the disagreement, not a check
    lost -= {"renal-function-conflict"}
    if lost:
        assert less.status != "ok"
        assert any(f.severity == "cannot-check" for f in less.findings)


@settings(max_examples=50)
@given(patients())
def test_evaluate_never_raises_for_any_patient(kw: dict[str, Any]) -> None:
    p = Patient(**kw)
    for drug in CAT.drugs.values():
        for regimen in (None, *drug.regimens):
            outcome = rules.evaluate(CAT, drug, regimen, p)
            for f in outcome.findings:
                if f.severity == "cannot-check":
                    assert f.missing  # always names what is missing
