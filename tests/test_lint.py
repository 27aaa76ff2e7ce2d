"""ruff (with its ASYNC and B rules) and mypy keep the whole tree honest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from appliance.config import INSTALL_ROOT

BIN = Path(sys.executable).parent


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "appliance", "tests", "benchmarks"],
        cwd=INSTALL_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_mypy_finds_nothing() -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "appliance"],
        cwd=INSTALL_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
