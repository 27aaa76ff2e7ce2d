"""The scenario suite: caller scripts graded by outcome, through the agent and the real tools.

Each turn is taken as the loop takes it, its reply prepared while the caller might still go
on; the rules understander's run of the same scripts answers each turn directly."""

from __future__ import annotations

import pytest
from scenarios import SCENARIOS, Scenario, run_scenario

from appliance.app import Appliance


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_scenario(live_state: Appliance, scenario: Scenario) -> None:
    replies, failures = await run_scenario(live_state, scenario, prepare=True)
    assert not failures, "\n".join([*failures, "replies:", *replies])
