"""How often a dose plan is cannot-check over a realistic sample of patients (issue 11).

Builds N patients (default 500, seed 11) with a realistic spread of ages and sexes, the
medication lists people bring (names as written in records: generic or brand, any case, taken
from the most prescribed US medications, with an occasional misspelling), and a catalog
therapy each; counts the plans that come out cannot-check, and why (pregnancy or lactation not
stated, a medication name calcidose does not know, anything else).

Only the public API is used, so the same script measures any checkout:

    python benchmarks/cannot_check_sample.py                      # this tree
    PYTHONPATH=/path/to/older/checkout python benchmarks/cannot_check_sample.py

The patients do not depend on the tables: the names below are fixed here.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from typing import Any

import calcidose

#: Medication names as they appear in records (most prescribed US medications, ClinCalc
#: DrugStats Top 300; brands and capitalised generics as people write them).
NAMES = (
    "atorvastatin",
    "Lipitor",
    "metformin",
    "Metformin ER",
    "levothyroxine",
    "Synthroid",
    "lisinopril",
    "Lisinopril",
    "amlodipine",
    "Norvasc",
    "metoprolol",
    "Metoprolol",
    "Toprol XL",
    "albuterol",
    "ProAir",
    "omeprazole",
    "Prilosec",
    "losartan",
    "Cozaar",
    "gabapentin",
    "Neurontin",
    "hydrochlorothiazide",
    "HCTZ",
    "sertraline",
    "Zoloft",
    "simvastatin",
    "montelukast",
    "Singulair",
    "escitalopram",
    "Lexapro",
    "rosuvastatin",
    "Crestor",
    "bupropion",
    "Wellbutrin",
    "furosemide",
    "Lasix",
    "pantoprazole",
    "trazodone",
    "Adderall",
    "fluticasone",
    "Flonase",
    "tamsulosin",
    "Flomax",
    "fluoxetine",
    "carvedilol",
    "duloxetine",
    "Cymbalta",
    "meloxicam",
    "clopidogrel",
    "Plavix",
    "prednisone",
    "citalopram",
    "insulin glargine",
    "Lantus",
    "potassium chloride",
    "pravastatin",
    "tramadol",
    "aspirin",
    "alprazolam",
    "ibuprofen",
    "Advil",
    "cyclobenzaprine",
    "amoxicillin",
    "allopurinol",
    "venlafaxine",
    "clonazepam",
    "zolpidem",
    "apixaban",
    "Eliquis",
    "glipizide",
    "spironolactone",
    "atenolol",
    "buspirone",
    "topiramate",
    "warfarin",
    "Coumadin",
    "vitamin D3",
    "lamotrigine",
    "oxycodone",
    "ezetimibe",
    "lorazepam",
    "quetiapine",
    "estradiol",
    "propranolol",
    "azithromycin",
    "famotidine",
    "Pepcid",
    "diclofenac",
    "loratadine",
    "Ozempic",
    "Jardiance",
    "Januvia",
    "Xarelto",
    "Biaxin",
    "clarithromycin",
    "fluconazole",
    "Diflucan",
    "ciprofloxacin",
    "doxycycline",
    "digoxin",
    "Tums",
    "calcium carbonate",
    "ferrous sulfate",
    "Humira",
    "methotrexate",
    "tacrolimus",
    "acetaminophen",
    "Tylenol",
    "Eliquis",
    "Entresto",
    "Trulicity",
    "Symbicort",
    "Advair",
)
#: Misspellings seen in records (they stay unknown: calcidose never guesses).
MISSPELLED = ("metfromin", "lisinipril", "atorvastation", "amlodopine", "gabapentine")

DRUGS = (
    "diltiazem",
    "minocycline",
    "colchicine",
    "warfarin",
    "alendronate",
    "probenecid",
    "sodium-thiosulfate",
    "etidronate",
    "magnesium-hydroxide",
    "aluminium-hydroxide",
)


def _age(rng: random.Random) -> str:
    band = rng.random()
    if band < 0.08:
        return f"{rng.randint(1, 11)} years"
    if band < 0.15:
        return f"{rng.randint(12, 17)} years"
    if band < 0.55:
        return f"{rng.randint(18, 55)} years"
    return f"{rng.randint(56, 95)} years"


def patient(rng: random.Random) -> dict[str, Any]:
    """One patient's keyword arguments for calcidose.Patient."""
    age = _age(rng)
    years = int(age.split()[0])
    sex = rng.choice(("female", "male"))
    kw: dict[str, Any] = {"age": age, "sex": sex}
    if years < 12:
        kw["weight"] = f"{round(8 + years * 3.2 + rng.uniform(-3, 5), 1)} kg"
    elif years < 18:
        kw["weight"] = f"{round(35 + (years - 12) * 5 + rng.uniform(-5, 10), 1)} kg"
    else:
        kw["weight"] = f"{round(rng.uniform(50, 115), 1)} kg"
    if years >= 18:
        kw["crcl"] = f"{rng.randint(35, 120)} mL/min"
    # pregnancy is recorded for some women only (records rarely state it)
    if sex == "female" and 12 <= years <= 55 and rng.random() < 0.5:
        kw["pregnant"] = False
        kw["lactating"] = False
    count = min(int(rng.expovariate(1 / 3)), 10) if years >= 18 else rng.randint(0, 1)
    meds = [rng.choice(NAMES) for _ in range(count)]
    if meds and rng.random() < 0.03:
        meds[0] = rng.choice(MISSPELLED)
    kw["medications"] = meds
    return kw


def _reasons(plan: Any) -> set[str]:
    out = set()
    for f in plan.findings:
        if f.severity != "cannot-check":
            continue
        missing = " ".join(f.missing)
        if f.code == "unknown-medication":
            out.add("unknown medication")
        elif "pregnancy" in missing or "lactation" in missing:
            out.add("pregnancy or lactation not stated")
        else:
            out.add("other: " + (missing or f.code))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for _ in range(args.n):
        kw = patient(rng)
        drug = rng.choice(DRUGS)
        plan = calcidose.dose(drug, calcidose.Patient(**kw))
        statuses[plan.status] += 1
        if plan.status == "cannot-check":
            for reason in _reasons(plan):
                reasons[reason] += 1
    print(
        json.dumps(
            {
                "patients": args.n,
                "seed": args.seed,
                "status": dict(statuses),
                "cannot_check_because": dict(reasons.most_common()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
