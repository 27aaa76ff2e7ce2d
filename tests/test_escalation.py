"""Live escalation: a caller whose mood keeps falling, or who asks the same thing twice, is
offered a person and the call is flagged; a content caller is not; the hotel can turn it off."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from appliance.app import Appliance, open_appliance
from appliance.config import AnalyticsSettings, Config, UnderstandingSettings
from appliance.sentences import english
from appliance.store import calls

OFFER_PERSON = english().say("call.offer_person")
FRUSTRATED = [
    "What time is check out?",
    "That's not what I asked, this is not helpful.",
    "This is useless, I'm getting really annoyed.",
    "Ridiculous. I am so frustrated and angry with this.",
]
CONTENT = [
    "What time is check out?",
    "Lovely, and is there a pool?",
    "Great, thank you so much, that's wonderful.",
    "Perfect, you have been very helpful.",
]


@pytest.fixture(params=["rules", pytest.param("semantic", marks=pytest.mark.slow)])
def understander(request: pytest.FixtureRequest) -> str:
    """The keyword rules (no model: fast), and the shipped semantic understander on the real
    sentence encoder: escalation must work with what hotels run."""
    return str(request.param)


@pytest.fixture()
async def agent_state(
    config: Config, understander: str, request: pytest.FixtureRequest
) -> AsyncIterator[Appliance]:
    settings = dataclasses.replace(
        config,
        understanding=UnderstandingSettings(understander=understander),  # type: ignore[arg-type]
        analytics=dataclasses.replace(AnalyticsSettings(), **getattr(request, "param", {})),
    )
    engines = request.getfixturevalue("engines") if understander == "semantic" else None
    async with open_appliance(settings, engines) as state:
        yield state


async def talk(state: Appliance, turns: list[str]) -> tuple[str, list[str]]:
    session = await state.sessions.create_session(channel="webrtc")
    replies = []
    for said in turns:
        session.add_message("user", said)
        reply = await state.agent.respond(session, said)
        session.add_message("assistant", reply.text)
        replies.append(reply.text)
    await session.flush()
    return session.id, replies


async def flag_of(state: Appliance, session_id: str) -> str | None:
    call = await state.store.read(calls.get_call, session_id)
    return call["flag_reason"]


async def test_falling_mood_gets_a_person_offered_and_the_call_flagged(
    agent_state: Appliance,
) -> None:
    session_id, replies = await talk(agent_state, FRUSTRATED)
    offered = [i for i, r in enumerate(replies) if OFFER_PERSON in r]
    assert offered and offered[0] in (2, 3), replies  # once the mood has fallen, not before
    assert len(offered) == 1  # offered once a call
    assert await flag_of(agent_state, session_id) == "caller sentiment kept falling"


async def test_accepting_the_offer_puts_the_caller_through(agent_state: Appliance) -> None:
    session = await agent_state.sessions.create_session(channel="phone")
    for said in FRUSTRATED:
        reply = await agent_state.agent.respond(session, said)
        if OFFER_PERSON in reply.text:
            break
    else:
        raise AssertionError("the frustrated caller was never offered a person")
    reply = await agent_state.agent.respond(session, "Yes please.")
    await session.flush()
    call = await agent_state.store.read(calls.get_call, session.id)
    transfers = [t for t in call["tools"] if t["tool"] == "transfer_to_human"]
    assert transfers and transfers[0]["arguments"]["department"] == "front_desk"
    assert reply.text  # the caller hears what happens next (put through, or a callback offer)


async def test_the_same_question_twice_gets_a_person_offered(agent_state: Appliance) -> None:
    session_id, replies = await talk(
        agent_state, ["Do you have parking?", "Thanks. Is breakfast included?", "Do you have parking?"]
    )
    assert OFFER_PERSON not in replies[0] and OFFER_PERSON not in replies[1]
    assert OFFER_PERSON in replies[2] and "garage" in replies[2]  # the answer, then the offer
    assert await flag_of(agent_state, session_id) == "caller asked the same thing twice"


async def test_a_follow_up_on_the_same_topic_is_not_a_repeat(agent_state: Appliance) -> None:
    session_id, replies = await talk(
        agent_state, ["Is there parking?", "How much is the parking a night?", "And is the pool heated?"]
    )
    assert not [r for r in replies if OFFER_PERSON in r], replies
    assert await flag_of(agent_state, session_id) is None


async def test_declining_the_offer_goes_back_to_the_conversation(agent_state: Appliance) -> None:
    session_id, replies = await talk(agent_state, [*FRUSTRATED[:3], "No, that's fine."])
    assert OFFER_PERSON in replies[2]
    assert OFFER_PERSON not in replies[-1]
    call = await agent_state.store.read(calls.get_call, session_id)
    assert not [t for t in call["tools"] if t["tool"] == "transfer_to_human"]


async def test_a_content_caller_is_not_offered_a_person(agent_state: Appliance) -> None:
    session_id, replies = await talk(agent_state, CONTENT)
    assert not [r for r in replies if OFFER_PERSON in r], replies
    assert await flag_of(agent_state, session_id) is None


@pytest.mark.parametrize("agent_state", [{"escalation": False}], indirect=True)
async def test_escalation_can_be_turned_off(agent_state: Appliance) -> None:
    session_id, replies = await talk(agent_state, FRUSTRATED)
    assert not [r for r in replies if OFFER_PERSON in r]
    assert await flag_of(agent_state, session_id) is None
