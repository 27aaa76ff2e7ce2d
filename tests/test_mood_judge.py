"""The language model's judgment of each caller turn's mood: it replaces VADER's first score
in the stored turn, the call's score and the escalation rule; a model that fails its check at
start-up, answers nonsense, is slow or is down leaves VADER's score standing.

The bundled model runs in-process. A model served elsewhere (vLLM or llama.cpp's server on
another box, the "openai" backend) is an aiohttp server on loopback speaking the same chat
completions protocol."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from conftest import free_port, on_loopback, served_llm

from appliance.analytics.sentiment import (
    MOODS,
    TURN_METRIC,
    EscalationPolicy,
    LlmMoodJudge,
    MoodWatch,
    VaderScorer,
)
from appliance.app import Appliance, build_appliance, prepare_judge
from appliance.config import AnalyticsSettings, Config
from appliance.engines import Engines
from appliance.sessions import Session
from appliance.store import calls
from appliance.store.database import Store

#: VADER reads the first two as content (the words are nice) and the third as angry.
SARCASTIC = "Oh great, just great. On hold for twenty minutes again. Wonderful service."
POLITE_COMPLAINT = "Lovely, so nobody ever fixed the heating I reported, thanks a lot."
ANGRY = "This is ridiculous, I'm so angry, nobody is helping me."


@asynccontextmanager
async def judging(
    engines: Engines, config: Config, mode: str = "auto", model_url: str | None = None
) -> AsyncIterator[Appliance]:
    """The appliance's state as `serve` leaves it once the models are loaded, with sentiment
    ``mode``, and the language model in-process or (``model_url``) served over HTTP."""
    settings = dataclasses.replace(config, analytics=AnalyticsSettings(sentiment=mode))  # type: ignore[arg-type]
    models = engines if model_url is None else served_llm(engines, model_url, timeout_s=1.0)
    if model_url is not None:
        await models.llm.start()
    state = await build_appliance(settings, models)
    try:
        await prepare_judge(settings, state.sessions, models)
        yield state
    finally:
        await state.close()
        if model_url is not None:
            models.llm.close()


async def call_of(state: Appliance, *said: str) -> tuple[Session, list[float], float | None]:
    """A call in which the caller says ``said``, ended: its stored turn scores and its own."""
    session = await state.sessions.create_session(channel="phone")
    for words in said:
        session.add_message("user", words)
        session.add_message("assistant", "I'm sorry to hear that.")
    await state.sessions.end_session(session.id)  # no wait beforehand: it waits itself
    return (session, *await stored_moods(state.store, session.id))


async def stored_moods(store: Store, session_id: str) -> tuple[list[float], float | None]:
    """The call's stored turn scores and its own score."""
    call = await store.read(calls.get_call, session_id)
    turns = [m["metric_value"] for m in call["metrics"] if m["metric_name"] == TURN_METRIC]
    return turns, call["sentiment_score"]


async def test_the_bundled_model_does_not_pass_the_check_and_vader_stays(
    engines: Engines, config: Config
) -> None:
    async with judging(engines, config) as state:  # sentiment = "auto", the default
        assert state.sessions.moods.judge is None
        _, turns, _ = await call_of(state, SARCASTIC)
    assert turns == [pytest.approx(VaderScorer().score(SARCASTIC))]


async def test_the_model_s_judgment_replaces_each_first_score(
    engines: Engines, config: Config
) -> None:
    """Asked for by name, the bundled model judges: each stored turn holds one of its five
    moods (VADER never scores these turns on that scale), the call's score is their mean,
    and the end of the call waited for them."""
    async with judging(engines, config, "llm") as state:
        assert isinstance(state.sessions.moods.judge, LlmMoodJudge)
        session, turns, call_score = await call_of(state, SARCASTIC, POLITE_COMPLAINT, ANGRY)
    vader = VaderScorer()
    assert len(turns) == 3
    assert all(score in MOODS.values() for score in turns), turns
    assert [vader.score(s) for s in (SARCASTIC, POLITE_COMPLAINT, ANGRY)] != turns
    assert call_score == pytest.approx(sum(turns) / 3)
    assert sorted(session.judged) == sorted([SARCASTIC, POLITE_COMPLAINT, ANGRY])


def capable_mood(said: str) -> str:
    """How a capable model reads a guest, written here from the words (not from the check's
    answer key, so the check can fail a stand-in): sarcasm is read as what it means."""
    text = said.lower()
    if re.search(r"ridiculous|furious|unacceptable|still isn't|third time", text):
        return "angry"
    if re.search(r"\b(just great|on hold|again)\b", text):
        return "annoyed"
    if re.search(r"thank you so much|you've been wonderful|perfect", text):
        return "delighted"
    if re.search(r"lovely|not unhappy|great", text):
        return "pleased"
    return "neutral"


def literal_mood(said: str) -> str:
    """A model that goes by the nice words alone: sarcasm reads as delight."""
    return "delighted" if re.search(r"great|wonderful|perfect|lovely", said.lower()) else "neutral"


@pytest.fixture()
async def served_model() -> AsyncIterator[str]:
    """A chat completions server on loopback. Under /capable/ it judges as a capable model
    does; under /literal/ it goes by the words' surface; under /nonsense/ it answers a mood
    that is not one of the five; under /slow/ it takes 3 s."""

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        said = body["messages"][-1]["content"]
        assert body["response_format"]["schema"]["properties"]["mood"]["enum"] == list(MOODS)
        mode = request.match_info["mode"]
        if mode == "slow":
            await asyncio.sleep(3)
        if mode == "capable":
            mood = capable_mood(said)
        elif mode == "literal":
            mood = literal_mood(said)
        else:
            mood = "furious"
        content = json.dumps({"mood": mood})
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})

    app = web.Application()
    app.router.add_post("/{mode}/v1/chat/completions", completions)
    async with on_loopback(app) as url:
        yield url


async def test_a_model_that_passes_the_check_judges_on_auto(
    engines: Engines, config: Config, served_model: str
) -> None:
    async with judging(engines, config, model_url=f"{served_model}/capable/v1") as state:
        assert isinstance(state.sessions.moods.judge, LlmMoodJudge)
        _, turns, call_score = await call_of(state, SARCASTIC)
    # VADER calls this content; the model's judgment, annoyed or worse, is what is kept.
    assert VaderScorer().score(SARCASTIC) > 0.5
    assert turns == [call_score] and turns[0] <= -0.5


async def test_a_model_that_reads_sarcasm_literally_fails_the_check(
    engines: Engines, config: Config, served_model: str
) -> None:
    async with judging(engines, config, model_url=f"{served_model}/literal/v1") as state:
        assert state.sessions.moods.judge is None
        _, turns, _ = await call_of(state, SARCASTIC)
    assert turns == [pytest.approx(VaderScorer().score(SARCASTIC))]


@pytest.mark.parametrize("mode", ["nonsense", "slow", "down"])
async def test_a_model_that_cannot_judge_leaves_vader_s_score(
    engines: Engines, config: Config, served_model: str, mode: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1" if mode == "down" else f"{served_model}/{mode}/v1"
    async with judging(engines, config, "llm", base) as state:
        assert state.sessions.moods.judge is not None
        assert await state.sessions.moods.judge.judge(ANGRY) is None
        _, turns, call_score = await call_of(state, ANGRY)
    assert turns == [pytest.approx(VaderScorer().score(ANGRY))] and call_score == turns[0]


def test_judgments_of_earlier_turns_feed_the_escalation_rule() -> None:
    """Nice words said bitterly: VADER's scores rise, the model's fall, and the rule acts on
    the model's once they are in."""
    turns = [SARCASTIC, POLITE_COMPLAINT, "Great, thanks, really helpful as always, brilliant."]
    vader = VaderScorer()
    first = MoodWatch(EscalationPolicy())
    judged = MoodWatch(EscalationPolicy())
    for said in turns[:2]:
        assert first.hear(said, vader.score(said), [], False) is None
        assert judged.hear(said, vader.score(said), [], False) is None
    judged.revise({SARCASTIC: -0.5, POLITE_COMPLAINT: -1.0})
    last = turns[2]
    assert first.hear(last, vader.score(last), [], False) is None
    assert judged.hear(last, -1.0, [], False) == "caller sentiment kept falling"


async def test_a_call_ended_twice_while_judgments_are_out_ends_once(
    engines: Engines, config: Config, served_model: str
) -> None:
    """The carrier's status and the stream's stop can end a call at the same moment; with a
    judgment still out, the first end waits for it and the second finds the call ended."""
    async with judging(engines, config, "llm", f"{served_model}/slow/v1") as state:
        session = await state.sessions.create_session(channel="phone")
        session.add_message("user", ANGRY)
        ended = await asyncio.gather(
            state.sessions.end_session(session.id), state.sessions.end_session(session.id)
        )
        turns, call_score = await stored_moods(state.store, session.id)
        call = await state.store.read(calls.get_call, session.id)
    assert ended[0] is ended[1] is session and call["status"] == "completed"
    assert turns == [pytest.approx(VaderScorer().score(ANGRY))] and call_score == turns[0]
