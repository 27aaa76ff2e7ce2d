"""Success rate of the scenario suite (tests/scenarios.py) in each agent mode: "rules" (the
agent understands callers itself) and "llm-tools" (the configured model chooses the tools).

    .venv/bin/python benchmarks/scenarios.py [--modes rules llm-tools]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import build_engines
from appliance.service import close_state, open_state

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from scenarios import SCENARIOS, run_scenario  # noqa: E402


async def rate(mode: str) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        config = default_config()
        config = dataclasses.replace(
            config,
            paths=dataclasses.replace(config.paths, data_dir=Path(data_dir)),
            dialogue=dataclasses.replace(config.dialogue, mode=mode),  # type: ignore[arg-type]
        )
        engines = build_engines(config)
        await engines.start()
        passed, started = 0, time.perf_counter()
        for scenario in SCENARIOS:
            state = await open_state(config, engines)
            _, failures = await run_scenario(state, scenario)
            await close_state(state)
            (config.paths.data_dir / "appliance.duckdb").unlink()
            passed += not failures
            if failures:
                print(f"  [{mode}] {scenario.name}: {failures[0]}")
        engines.close()
    took = time.perf_counter() - started
    print(
        f"{mode}: {passed}/{len(SCENARIOS)} scenarios ({100 * passed / len(SCENARIOS):.0f}%) in {took:.0f} s, model {config.model_path('llm').name}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", nargs="+", default=["rules", "llm-tools"])
    for mode in parser.parse_args().modes:
        asyncio.run(rate(mode))
