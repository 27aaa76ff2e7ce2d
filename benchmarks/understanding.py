"""Accuracy of each understander on the labelled evaluation sets (tests/understanding_cases.py,
and tests/understanding_holdout.py, which understanding is not tuned against):
per utterance (every expected command, nothing else), per command kind, the pairs most
confused, and the time understanding adds to a turn.

    .venv/bin/python benchmarks/understanding.py [--understanders semantic rules llm] [--misses N]

"llm" runs the configured language model ([llm] in appliance.toml); with the bundled 135M
model it mostly falls back to the semantic understander, which the fallback count shows.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import time
from collections import Counter

from appliance.app import build_understander
from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import build_engines
from appliance.hotel.model import load_hotel
from appliance.understanding.commands import label

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from understanding_cases import CASES, TODAY  # noqa: E402
from understanding_holdout import HOLDOUT  # noqa: E402

SETS = {"cases": CASES, "holdout": HOLDOUT}


def kind_of(text: str) -> str:
    return text.split(":", 1)[0]


async def evaluate(name: str, misses: int, set_name: str) -> None:
    cases = SETS[set_name]
    config = default_config()
    config = dataclasses.replace(
        config, understanding=dataclasses.replace(config.understanding, understander=name)  # type: ignore[arg-type]
    )
    engines = build_engines(config)
    await engines.nlu.start()
    if name == "llm":
        await engines.llm.start()
    hotel = load_hotel(config.paths.hotel_file)
    understander = build_understander(config, hotel, engines, today=lambda: TODAY)
    await understander.prepare()
    right = 0
    per_kind: Counter[str] = Counter()
    per_kind_right: Counter[str] = Counter()
    confused: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    took: list[float] = []
    for case in cases:
        started = time.perf_counter()
        commands = await understander.understand(case.text, case.context)
        took.append((time.perf_counter() - started) * 1000)
        got = {label(x) for x in commands}
        want = set(case.expect)
        right += got == want
        for expected in want:
            per_kind[kind_of(expected)] += 1
            per_kind_right[kind_of(expected)] += expected in got
        if got != want:
            missing, extra = sorted(want - got), sorted(got - want)
            for m in missing or ["(none)"]:
                for e in extra or ["(none)"]:
                    confused[(m, e)] += 1
            wrong.append(f"    {case.text!r} [{case.context.expecting or case.context.pending or '-'}]: want {sorted(want)} got {sorted(got)}")
    engines.close()
    took.sort()
    p95 = took[int(0.95 * (len(took) - 1))]
    print(f"\n{name} on {set_name}: {right}/{len(cases)} utterances fully right ({100 * right / len(cases):.1f} %), "
          f"understanding p50 {statistics.median(took):.1f} ms, p95 {p95:.1f} ms")  # fmt: skip
    print("  per command kind (expected commands found):")
    for kind in sorted(per_kind, key=lambda k: -per_kind[k]):
        share = 100 * per_kind_right[kind] / per_kind[kind]
        print(f"    {kind:9} {per_kind_right[kind]:4}/{per_kind[kind]:<4} {share:5.1f} %")
    print("  most confused (expected -> produced):")
    for (m, e), n in confused.most_common(8):
        print(f"    {n:3}  {m} -> {e}")
    fallbacks = getattr(understander, "fallbacks", None)
    if fallbacks:
        print(f"  turns decided by the fallback: {dict(fallbacks)}")
    if misses:
        print("  misses:")
        print("\n".join(wrong[:misses]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--understanders", nargs="+", default=["semantic", "rules"])
    parser.add_argument("--misses", type=int, default=0, help="print this many misses")
    parser.add_argument(
        "--sets", nargs="+", default=["cases", "holdout"], choices=sorted(SETS),
        help="cases: the set understanding is developed against; holdout: a set kept apart",
    )  # fmt: skip
    args = parser.parse_args()
    print(", ".join(f"{len(SETS[s])} labelled utterances in {s}" for s in args.sets))
    for understander_name in args.understanders:
        for set_name in args.sets:
            asyncio.run(evaluate(understander_name, args.misses, set_name))
