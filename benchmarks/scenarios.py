"""Success rate of whole calls (the 40 caller scripts of tests/scenarios.py and the 52
conversations of tests/conversations.py) with each understander: "semantic" (the default),
"rules" (the baseline) and "llm" (the configured language model writes the commands,
falling back to "semantic" on a bad answer).

    .venv/bin/python benchmarks/scenarios.py [--understanders semantic rules llm]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from appliance.app import build_appliance
from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import build_engines

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from conversations import CONVERSATIONS  # noqa: E402
from scenarios import SCENARIOS, run_scenario  # noqa: E402


async def rate(name: str) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        config = default_config()
        config = dataclasses.replace(
            config,
            paths=dataclasses.replace(config.paths, data_dir=Path(data_dir)),
            understanding=dataclasses.replace(config.understanding, understander=name),  # type: ignore[arg-type]
        )
        engines = build_engines(config)
        await engines.start()
        suites = {"scenarios": SCENARIOS, "conversations": CONVERSATIONS}
        for suite_name, suite in suites.items():
            passed, started = 0, time.perf_counter()
            for scenario in suite:
                state = await build_appliance(config, engines)
                await state.start()
                _, failures = await run_scenario(state, scenario)
                await state.close()
                (config.paths.data_dir / "appliance.duckdb").unlink()
                passed += not failures
                if failures:
                    print(f"  [{name}] {scenario.name}: {failures[0]}")
            took = time.perf_counter() - started
            print(
                f"{name}: {passed}/{len(suite)} {suite_name} ({100 * passed / len(suite):.0f}%) in {took:.0f} s"
                + (f", model {config.model_path('llm').name}" if name == "llm" else "")
            )
        engines.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--understanders", nargs="+", default=["semantic", "rules", "llm"])
    for understander in parser.parse_args().understanders:
        asyncio.run(rate(understander))
