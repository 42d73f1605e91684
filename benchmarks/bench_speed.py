"""The speed ratios of issue 18, measured side by side in one run (never asserted in tests).

Run: ``python benchmarks/bench_speed.py [--rounds N] [--memory-calls N] [--only PART ...]`` after
``pip install -e .``. Every figure is a ratio of two things measured in the same process,
interleaved round by round (A, B, A, B, ...), so a machine that slows down slows both sides;
the median over rounds is reported. Targets (issue 18):

* ``dose()`` <= 15x a plain-float kernel doing the same arithmetic (range, cap, split, rounding);
* ``check()`` <= 2x ``dose()``;
* ``to_dict()`` <= 1.5x ``dose()``;
* a Patient from pint quantities <= 3x one from strings;
* the CLI's full ``dose`` run <= 6x a bare interpreter; ``--help`` <= 3x;
* no growth of memory over a million calls (resident memory sampled every tenth, then
  tracemalloc over a shorter run, after a warm-up); cost linear in the number of conditions
  and co-medications (100, 1,000 and 10,000 of them).

Exit code 0 always: these are measurements for the notes, not a gate.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

TARGETS: dict[str, float] = {
    "dose / float kernel": 15.0,
    "check / dose": 2.0,
    "to_dict / dose": 1.5,
    "Patient(pint) / Patient(str)": 3.0,
    "cli dose / python -c pass": 6.0,
    "cli --help / python -c pass": 3.0,
}


def per_call_us(fn: Callable[[], object], number: int) -> float:
    """Mean microseconds per call of ``fn`` over ``number`` calls (one timing)."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number * 1e6


def interleaved(
    pairs: Sequence[tuple[str, Callable[[], object], int]], rounds: int
) -> dict[str, float]:
    """Median per-call microseconds of each named callable, timed round-robin ``rounds`` times."""
    samples: dict[str, list[float]] = {name: [] for name, _, _ in pairs}
    for name, fn, _ in pairs:  # warm-up: tables loaded, caches filled
        for _ in range(50):
            fn()
        del name
    for _ in range(rounds):
        for name, fn, number in pairs:
            samples[name].append(per_call_us(fn, number))
    return {name: statistics.median(v) for name, v in samples.items()}


def plain_float(weight_kg: float) -> tuple[float, float, list[tuple[float, float]]]:
    """Diltiazem 2-4 mg/kg/day capped at 480 mg/day, split tid/qid/daily, rounded: bare floats."""
    low, high = 2.0 * weight_kg, 4.0 * weight_kg
    cap = 480.0
    high = min(high, cap)
    low = min(low, cap)
    out = []
    for count, step in ((3, 30.0), (4, 30.0), (1, 60.0)):
        per_low, per_high = low / count, high / count
        r_low = math.floor(per_low / step + 0.5) * step
        r_high = math.floor(per_high / step + 0.5) * step
        while r_high * count > cap:
            r_high -= step
        out.append((r_low, r_high))
    return low, high, out


def wall_ms(argv: list[str], env: dict[str, str] | None = None) -> float:
    return run_ms(argv, env)[0]


def run_ms(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + sys, the operating system's accounting of the finished child)
    milliseconds of one run. On a shared machine the CPU figure is the steadier one: it does
    not count the time the process waited for a processor."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=False, capture_output=True, env=env)
    wall = (time.perf_counter() - start) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return wall, cpu


def cli_env(pycache: str, cache: str) -> dict[str, str]:
    """The CLI's environment as an installed calcidose has it: bytecode compiled (pip compiles
    it at install; here into ``pycache``, even when PYTHONDONTWRITEBYTECODE is set, which would
    make every run compile calcidose's sources again), and a catalog cache of its own."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["CALCIDOSE_CACHE_DIR"] = cache
    env.pop("CALCIDOSE_CACHE", None)
    return env


def cli_ratios(rounds: int) -> dict[str, float]:
    exe = shutil.which("calcidose")
    if exe is None:
        print("calcidose console script not found on PATH; CLI ratios skipped")
        return {}
    with tempfile.TemporaryDirectory() as pycache, tempfile.TemporaryDirectory() as cache:
        return _cli_ratios(exe, rounds, cli_env(pycache, cache))


def _cli_ratios(exe: str, rounds: int, env: dict[str, str]) -> dict[str, float]:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "cli --help": [exe, "--help"],
        "cli dose": [
            exe, "dose", "diltiazem", "--weight", "154lb", "--age", "54y", "--sex", "female",
            "--not-pregnant", "--not-lactating",
        ],
    }
    dose_argv = commands["cli dose"]
    commands["cli dose, cache off"] = dose_argv
    envs = dict.fromkeys(commands, env)
    envs["cli dose, cache off"] = {**env, "CALCIDOSE_CACHE": "off"}
    # first use: bytecode and the catalog cache are written here (timed: "nothing slower")
    first = wall_ms(dose_argv, env)
    for name, argv in commands.items():
        wall_ms(argv, envs[name])
    samples: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            wall, used = run_ms(argv, envs[name])
            samples[name].append(wall)
            cpu[name].append(used)
    out = {name: statistics.median(v) for name, v in samples.items()}
    out["cli dose, first use"] = first
    out.update({f"{name} (cpu)": statistics.median(v) for name, v in cpu.items()})
    return out


def memory_growth(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """Traced memory (KiB) after a warm-up and after ``calls`` more calls."""
    for _ in range(2000):
        fn()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(calls):
        fn()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return before / 1024, after / 1024


def call_ratios(rounds: int) -> dict[str, float]:
    """The in-process ratios: dose, check, to_dict against their references, interleaved."""
    import calcidose

    ureg = calcidose.ureg
    q_weight, q_age = ureg.Quantity(154, "lb"), ureg.Quantity(54, "year")
    patient = calcidose.Patient(weight="154 lb", age="54 years", sex="male")
    plan = calcidose.dose("diltiazem", patient)

    def pint_patient() -> Any:
        return calcidose.Patient(weight=q_weight, age=q_age, sex="male")

    def str_patient() -> Any:
        return calcidose.Patient(weight="154 lb", age="54 years", sex="male")

    timed = interleaved(
        [
            ("float kernel", lambda: plain_float(69.85322498), 20_000),
            ("dose", lambda: calcidose.dose("diltiazem", patient), 500),
            ("check", lambda: calcidose.check("diltiazem", "90 mg", "tid", patient), 500),
            ("to_dict", plan.to_dict, 500),
            ("Patient(pint)", pint_patient, 1000),
            ("Patient(str)", str_patient, 1000),
        ],
        rounds,
    )
    for name, us in timed.items():
        print(f"{name:<32}{us:10.2f} us")
    return {
        "dose / float kernel": timed["dose"] / timed["float kernel"],
        "check / dose": timed["check"] / timed["dose"],
        "to_dict / dose": timed["to_dict"] / timed["dose"],
        "Patient(pint) / Patient(str)": timed["Patient(pint)"] / timed["Patient(str)"],
    }


def cli_part(rounds: int) -> dict[str, float]:
    """The CLI's ratios to a bare interpreter, by wall time and by CPU time."""
    cli = cli_ratios(rounds)
    for name, ms in cli.items():
        print(f"{name:<32}{ms:10.1f} ms")
    if not cli:
        return {}
    ratios = {}
    for name in ("cli dose", "cli --help", "cli dose, cache off"):
        ratios[f"{name} / python -c pass"] = cli[name] / cli["python -c pass"]
    for name in ("cli dose", "cli --help", "cli dose, cache off"):
        ratios[f"{name} / python -c pass (cpu)"] = (
            cli[f"{name} (cpu)"] / cli["python -c pass (cpu)"]
        )
    return ratios


def print_ratios(ratios: dict[str, float]) -> None:
    print()
    for name, value in ratios.items():
        target = TARGETS.get(name.removesuffix(" (cpu)"))
        if target is None:
            print(f"{name:<40}{value:8.2f}x  (for comparison)")
            continue
        verdict = "meets" if value <= target else "MISSES"
        print(f"{name:<40}{value:8.2f}x  target <= {target:g}x  {verdict}")


def linear_part(sizes: Sequence[int] = (100, 1_000, 10_000)) -> None:
    """Cost linear in conditions and co-medications: the cost of each size of list, per item
    above the cost with none. Linear means the per-item cost stays flat as the list grows ten
    times (a quadratic step would multiply it by ten). Ids the tables do not know are kept and
    reported (cannot-check), so the lists are unknown ids and the ids of the tables, mixed."""
    import calcidose

    catalog = calcidose.get_catalog()
    known_meds = sorted(catalog.substances)
    known_conditions = sorted(catalog.conditions)
    base = {"weight": "154 lb", "age": "54 years", "sex": "female"}

    def cost(n: int, field: str, known: list[str], what: str) -> float:
        ids = [*known[: n // 2], *(f"{field}-{i}" for i in range(n - min(n // 2, len(known))))]
        number = max(1, 2_000 // max(n, 1))

        def build_and_run() -> object:
            patient = calcidose.Patient(**base, **{field: ids})  # type: ignore[arg-type]
            if what == "check":
                return calcidose.check("diltiazem", "90 mg", "tid", patient)
            return calcidose.dose("diltiazem", patient).to_dict()

        build_and_run()
        return statistics.median(per_call_us(build_and_run, number) for _ in range(5))

    print()
    for what in ("dose+to_dict", "check"):
        for field, known in (("medications", known_meds), ("conditions", known_conditions)):
            none = cost(0, field, known, what)
            line = [f"{what} with {field}: none {none / 1e3:.2f} ms"]
            for n in sizes:
                us = cost(n, field, known, what)
                line.append(f"{n:,}: {us / 1e3:.2f} ms ({(us - none) / n:.2f} us per id)")
            print("; ".join(line))


def rss_kib() -> int:
    """Resident memory of this process now (KiB), from /proc (Linux); 0 elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return 0


def memory_part(calls: int) -> None:
    """No growth of memory over many calls: resident memory sampled every tenth of ``calls``
    of dose() + to_dict() + check() (a different weight each call, among 20,000, so every
    cache sees more values than it keeps), then traced memory (tracemalloc) over a shorter run."""
    import calcidose

    patients = [
        calcidose.Patient(weight=f"{50 + i / 1000:.3f} kg", age="54 years", sex="male")
        for i in range(20_000)
    ]
    state = {"i": 0}

    def call() -> None:
        state["i"] += 1
        patient = patients[state["i"] % len(patients)]
        calcidose.dose("diltiazem", patient).to_dict()
        calcidose.check("diltiazem", "90 mg", "tid", patient)

    for _ in range(25_000):  # warm-up: every patient once, the caches full
        call()
    gc.collect()
    samples = [rss_kib()]
    start = time.perf_counter()
    for _ in range(10):
        for _ in range(max(1, calls // 10)):
            call()
        gc.collect()
        samples.append(rss_kib())
    took = time.perf_counter() - start
    print()
    print(
        f"resident memory over {calls:,} x (dose + to_dict + check), every tenth: "
        + " ".join(f"{s / 1024:.1f}" for s in samples)
        + f" MiB ({(samples[-1] - samples[0]) / 1024:+.1f} MiB; {took:.0f} s)"
    )
    traced = max(1, min(calls, 50_000))
    before, after = memory_growth(call, traced)
    print(
        f"traced memory over {traced:,} more calls: {before:.0f} KiB -> {after:.0f} KiB "
        f"({after - before:+.0f} KiB)"
    )


PARTS = ("calls", "cli", "linear", "memory")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--memory-calls", type=int, default=1_000_000)
    parser.add_argument("--only", nargs="+", choices=PARTS, default=PARTS, help="parts to run")
    args = parser.parse_args(argv)

    ratios: dict[str, float] = {}
    if "calls" in args.only:
        ratios.update(call_ratios(args.rounds))
    if "cli" in args.only:
        ratios.update(cli_part(max(5, args.rounds // 2)))
    print_ratios(ratios)
    if "linear" in args.only:
        linear_part()
    if "memory" in args.only:
        memory_part(args.memory_calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
