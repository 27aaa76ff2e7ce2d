"""Understanding: callers' words become commands, and the flows act on them alone.

The semantic understander runs the real sentence encoder; the agent runs the real tools
over a real DuckDB file; the LLM understander talks to a real OpenAI-compatible server
(llama-cpp-python's own, serving the bundled GGUF) and to servers on loopback that are
slow or answer garbage."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from conftest import MODELS_DIR, free_port, get, on_loopback, served_llm
from conversations import CONVERSATIONS
from scenarios import SCENARIOS, Scenario, run_scenario
from understanding_cases import CASES, TODAY, Case
from understanding_holdout import HOLDOUT

from appliance.app import Appliance, build_appliance
from appliance.config import Config, default_config
from appliance.dialogue.agent import HotelAgent
from appliance.dialogue.smalltalk import llm_phraser, small_talk_gate, speakable_small_talk
from appliance.engines import Engines, ModelHost
from appliance.hotel.model import load_hotel
from appliance.llm.openai import OpenAiChatModel
from appliance.sessions import SessionManager
from appliance.understanding import commands as c
from appliance.understanding.identifiers import find_code
from appliance.understanding.llm import LlmUnderstander
from appliance.understanding.payment import PaymentCue
from appliance.understanding.rules import RulesUnderstander
from appliance.understanding.semantic import SemanticUnderstander
from appliance.understanding.slots import normalize

HOTEL_FILE = default_config().paths.hotel_file


@pytest.fixture(scope="session")
def semantic(engines: Engines) -> SemanticUnderstander:
    """The default understander over the bundled hotel file, its index built once."""
    understander = SemanticUnderstander(
        load_hotel(HOTEL_FILE), engines.encode, lambda: TODAY, default_config().understanding
    )
    asyncio.run(understander.prepare())
    return understander


def _labels(commands: list[c.Command]) -> set[str]:
    return {c.label(x) for x in commands}


def test_the_numpy_encoder_matches_the_reference_implementation(engines: Engines) -> None:
    """Vectors of four sentences as PyTorch and transformers' BertModel computed them from
    the same weights (mean-pooled, normalised), kept in tests/data."""
    reference = np.load(Path(__file__).parent / "data" / "minilm_reference.npy")
    sentences = [
        "What time is check-out?",
        "the air conditioning isn't working",
        "um so uh what time's breakfast",
        "I'd like to book a room for two nights from December 20th",
    ]
    vectors = asyncio.run(engines.encode(sentences))
    assert np.all((vectors * reference).sum(axis=1) > 0.9999)
    assert np.abs(vectors - reference).max() < 1e-3


@pytest.mark.parametrize(
    ("name", "cases", "floor"), [("cases", CASES, 0.95), ("holdout", HOLDOUT, 0.85)]
)
async def test_the_semantic_understander_on_the_labelled_sets(
    semantic: SemanticUnderstander, name: str, cases: list[Case], floor: float
) -> None:
    misses = []
    for case in cases:
        got = _labels(await semantic.understand(case.text, case.context))
        if got != set(case.expect):
            misses.append(f"{case.text!r}: want {sorted(case.expect)} got {sorted(got)}")
    accuracy = 1 - len(misses) / len(cases)
    assert accuracy >= floor, f"{name}: {accuracy:.1%}\n" + "\n".join(misses)


@pytest.mark.parametrize(
    ("said", "context", "expected"),
    [
        ("when do I have to be out of the room", c.Context(), {"ask:check_out"}),
        ("where can I leave my car", c.Context(), {"ask:parking"}),
        ("can I leave my bags after check-out?", c.Context(), {"ask:faq:luggage"}),
        ("could we check out a bit later, like 1?", c.Context(), {"ask:late_check_out"}),
        ("how much is the deluxe king room", c.Context(), {"ask:room:deluxe_king"}),
        ("how many people fit in the family suite?", c.Context(), {"ask:room:family_suite"}),
        ("the air conditioning isn't working", c.Context(), {"handoff:maintenance"}),
        ("could we get some extra towels", c.Context(), {"handoff:housekeeping"}),
        ("sorry, what time is breakfast?", c.Context(), {"ask:breakfast"}),
        ("sorry, say that again?", c.Context(), {"repeat"}),
        ("my code is F8 8, V N 6", c.Context(), {"find:F88VN6"}),
        ("it's F8 8, V N 6", c.Context(expecting="code"), {"find:F88VN6"}),
        ("three of us", c.Context(expecting="guests", in_booking=True), {"slots:guests=3"}),
        ("yep, go ahead", c.Context(pending="book"), {"affirm"}),
        ("no that's it thanks", c.Context(expecting="anything_else"), {"deny", "goodbye"}),
    ],
)
async def test_the_requests_that_used_to_be_misunderstood(
    semantic: SemanticUnderstander, said: str, context: c.Context, expected: set[str]
) -> None:
    assert _labels(await semantic.understand(said, context)) == expected


async def test_an_faq_entry_added_to_the_hotel_file_is_understood_with_no_code_change(
    engines: Engines, tmp_path: Path
) -> None:
    hotel_file = tmp_path / "hotel.toml"
    hotel_file.write_text(
        HOTEL_FILE.read_text()
        + '\n[[faq]]\nquestion = "Can guests borrow bicycles?"\nkeywords = ["bicycle", "bike", "cycling"]\n'
        'answer = "Bicycles are free to borrow at the front desk from 8 AM to 6 PM."\n'
    )
    hotel = load_hotel(hotel_file)
    understander = SemanticUnderstander(hotel, engines.encode, lambda: TODAY, default_config().understanding)
    said = "is there any chance we could borrow a couple of bikes to ride along the harbor"
    assert _labels(await understander.understand(said, c.Context())) == {"ask:faq:bicycle"}
    # Without the entry the same words are not taken for something else the hotel has.
    without = SemanticUnderstander(
        load_hotel(HOTEL_FILE), engines.encode, lambda: TODAY, default_config().understanding
    )
    assert _labels(await without.understand(said, c.Context())) == {"unclear"}


# --- the flows, on the default understander ---------------------------------------------------


async def _talk(state: Appliance, turns: list[str], caller_id: str | None = "+15550142000") -> list[str]:
    session = await state.sessions.create_session(channel="phone", caller_id=caller_id)
    replies = []
    for said in turns:
        replies.append((await state.agent.respond(session, said)).text)
    return replies


async def _prepared(state: Appliance) -> Appliance:
    assert isinstance(state.agent, HotelAgent)
    await state.agent.understander.prepare()
    return state


async def test_a_room_question_is_answered_and_starts_no_booking(live_state: Appliance) -> None:
    state = await _prepared(live_state)
    replies = await _talk(state, ["How much is the deluxe king room a night?", "and how many can sleep in the suite"])
    assert "199 dollars" in replies[0] and "What date" not in replies[0]
    assert "5 guests" in replies[1]


async def test_a_caller_phoning_from_the_booking_number_hears_it_without_a_code(
    live_state: Appliance,
) -> None:
    state = await _prepared(live_state)
    made = await state.toolbox.execute(
        "create_reservation", check_in="January 9th", nights=2, guest_name="Mira Holt",
        room_type="deluxe_king", phone="+15550142000",
    )  # fmt: skip
    assert made["ok"]
    replies = await _talk(state, ["hi, I'd like to check on my reservation"], caller_id="+15550142000")
    assert "Mira Holt" in replies[0] and "calling from" in replies[0]
    # Another number hears nothing of it and is asked for the code.
    replies = await _talk(state, ["hi, I'd like to check on my reservation"], caller_id="+15559990000")
    assert "Mira Holt" not in replies[0] and "confirmation code" in replies[0]


async def test_small_talk_from_the_bundled_model_stays_on_fixed_sentences(
    live_state: Appliance,
) -> None:
    """The 135M model fails the small-talk check, so the agent never speaks its words."""
    assert not await small_talk_gate(
        llm_phraser(live_state.engines, temperature=0.0), "Harbor View Hotel"
    )
    await live_state.prepare()
    assert isinstance(live_state.agent, HotelAgent) and live_state.agent.phraser is None
    replies = await _talk(live_state, ["hello", "my flight got delayed, what a day", "ha ha"])
    assert all(speakable_small_talk(r) or "front desk" in r for r in replies), replies
    assert not any("loss" in r or "sorry, but I'm sorry" in r for r in replies), replies


def test_a_code_read_in_groups_keeps_groups_that_sound_like_words() -> None:
    """Codes are random: a group may be a filler ('UM'), a spoken letter ('EM', 'BE') or a
    word ('MY', 'AS'). Whisper writes a filler in small letters and letters read out in
    capitals; both characters of each group stay."""
    for said, code in [
        ("the code is 5Y UM 9V", "5YUM9V"), ("the code is BE 2Z W7", "BE2ZW7"),
        ("the code is EM Z4 8H", "EMZ48H"), ("the code is K2 MY T4", "K2MYT4"),
        ("UH HH A9", "UHHHA9"), ("the code is JD FG AS", "JDFGAS"), ("UMC, TYN", "UMCTYN"),
    ]:  # fmt: skip
        assert find_code(normalize(said), expecting=True) == code, said
    # Fillers in small letters are still no part of a code, nor of the words.
    assert find_code(normalize("um, k 7 m, uh, 2 q x"), expecting=True) == "K7M2QX"
    assert normalize("Um, I'd like er two rooms") == "i'd like two rooms"
    # Short words are not a code: without a digit, only groups asked for and said alone.
    for expecting in (False, True):
        assert find_code(normalize("can you call me at my room"), expecting) is None
        # A day of the month is no group of a code: "the 2nd" was looked up as THE2ND.
        for said in ("Can you hurry the 2nd?", "on the 22nd, please", "the 3rd to the 4th"):
            assert find_code(normalize(said), expecting) is None, said


def test_what_a_receptionist_would_not_say_is_not_speakable() -> None:
    for said in ["I'm sorry for your loss.", "I'm sorry, but I'm sorry.", "As an AI I cannot help.",
                 "Breakfast is at 7 AM.", "The the hotel is lovely."]:  # fmt: skip
        assert not speakable_small_talk(said), said
    assert speakable_small_talk("Welcome, I hope you enjoy your stay with us.")


@pytest.mark.parametrize("scenario", CONVERSATIONS, ids=[s.name for s in CONVERSATIONS])
async def test_conversation(live_state: Appliance, scenario: Scenario) -> None:
    """Whole calls in words no other test uses, graded by what they leave behind."""
    replies, failures = await run_scenario(await _prepared(live_state), scenario)
    assert not failures, "\n".join([*failures, "replies:", *replies])


@pytest.fixture()
async def rules_state(engines: Engines, config: Config) -> AsyncIterator[Appliance]:
    rules = dataclasses.replace(
        config, understanding=dataclasses.replace(config.understanding, understander="rules")
    )
    opened = await build_appliance(rules, engines)
    understander = opened.agent.understander
    assert isinstance(understander, PaymentCue) and isinstance(understander.inner, RulesUnderstander)
    yield opened
    await opened.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_the_rules_understander_still_passes_the_scenarios(
    rules_state: Appliance, scenario: Scenario
) -> None:
    replies, failures = await run_scenario(rules_state, scenario)
    assert not failures, "\n".join([*failures, "replies:", *replies])


def test_a_session_manager_with_no_arguments_keeps_sessions_in_memory() -> None:
    """As the hotel's earlier module allowed: SessionManager() works, and says where."""
    manager = SessionManager()

    async def use() -> str:
        session = await manager.create_session(channel="phone", caller_id="+15550001111")
        session.add_message("user", "hello")
        await session.flush()
        return session.id

    session_id = asyncio.run(use())
    assert manager.find(session_id) is not None
    assert str(manager.store.path) == ":memory:"


# --- the LLM understander ---------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on loopback, serving the bundled GGUF."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model",
         str(MODELS_DIR / "llm" / "SmolLM2-135M-Instruct.Q4_1.gguf"), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if get(f"{url}/v1/models", timeout_s=2)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        raise AssertionError("llama_cpp.server did not start")
    yield url
    process.terminate()
    process.wait(timeout=30)


def _llm_understander(
    base_url: str, engines: Engines, semantic: SemanticUnderstander, timeout_s: float = 20.0
) -> tuple[LlmUnderstander, ModelHost[OpenAiChatModel]]:
    server_engines = served_llm(engines, base_url, timeout_s)
    host: ModelHost[OpenAiChatModel] = server_engines.llm
    understander = LlmUnderstander(
        load_hotel(HOTEL_FILE), server_engines, lambda: TODAY, fallback=semantic, timeout_s=timeout_s
    )
    return understander, host


async def test_the_llm_understander_reads_commands_from_a_real_server(
    llama_server: str, engines: Engines, semantic: SemanticUnderstander
) -> None:
    understander, host = _llm_understander(f"{llama_server}/v1", engines, semantic)
    await host.start()
    try:
        commands = await understander.understand("What time is check-out?", c.Context())
    finally:
        host.close()
    # The server's grammar held the model to the schema: no turn fell back.
    assert understander.fallbacks == {}, understander.fallbacks
    assert commands and all(isinstance(x, c.Command.__args__) for x in commands)  # type: ignore[attr-defined]


async def test_the_llm_understander_falls_back_when_the_server_is_down(
    engines: Engines, semantic: SemanticUnderstander
) -> None:
    understander, host = _llm_understander(f"http://127.0.0.1:{free_port()}/v1", engines, semantic)
    await host.start()
    try:
        commands = await understander.understand("when do I have to be out of the room", c.Context())
    finally:
        host.close()
    assert _labels(commands) == {"ask:check_out"}
    assert understander.fallbacks == {"llm-unreachable": 1}


@pytest.fixture()
async def odd_server() -> AsyncIterator[str]:
    """An OpenAI-style server on loopback that is slow, or answers what is not commands."""

    async def completions(request: web.Request) -> web.StreamResponse:
        mode = request.match_info["mode"]
        if mode == "slow":
            await asyncio.sleep(3)
        if mode == "not-json":
            return web.Response(text="<html>gateway error</html>", content_type="text/html")
        content = {"garbage": "I think the caller wants a room!", "bad-topic": json.dumps(
            {"commands": [{"type": "ask", "topic": "helipad"}]})}.get(mode, '{"commands": []}')  # fmt: skip
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})

    app = web.Application()
    app.router.add_post("/{mode}/v1/chat/completions", completions)
    async with on_loopback(app) as url:
        yield url


@pytest.mark.parametrize(
    ("mode", "why"),
    [("slow", "timeout"), ("garbage", "bad-commands"), ("bad-topic", "bad-commands"),
     ("not-json", "llm-bad-answer")],
)  # fmt: skip
async def test_the_llm_understander_falls_back_on_a_slow_or_garbled_answer(
    odd_server: str, engines: Engines, semantic: SemanticUnderstander, mode: str, why: str
) -> None:
    understander, host = _llm_understander(f"{odd_server}/{mode}/v1", engines, semantic, timeout_s=1.0)
    await host.start()
    try:
        commands = await understander.understand("the heating in our room is broken", c.Context())
    finally:
        host.close()
    assert _labels(commands) == {"handoff:maintenance"}
    assert understander.fallbacks == {why: 1}


def test_the_llm_understander_refuses_commands_outside_the_schema() -> None:
    hotel = load_hotel(HOTEL_FILE)
    understander = LlmUnderstander(hotel, None, lambda: date(2026, 12, 2), fallback=None)  # type: ignore[arg-type]
    ok = understander.parse(
        '{"commands": [{"type": "book"}, {"type": "slots", "check_in": "2026-12-20", "nights": 2, '
        '"room_type": "deluxe_king", "phone": "555 201 3344"}]}'
    )
    assert [c.label(x) for x in ok] == [
        "book", "slots:check_in=2026-12-20,nights=2,phone=+15552013344,room_type=deluxe_king"
    ]
    for bad in ['{"commands": [{"type": "slots", "check_in": "2020-01-01"}]}',
                '{"commands": [{"type": "slots", "guests": 500}]}',
                '{"commands": [{"type": "handoff", "department": "kitchen"}]}',
                '{"commands": [{"type": "cancel", "code": "0O1IL0"}]}',
                '{"commands": [{"type": "transfer_money"}]}', '{"commands": []}', "[]"]:  # fmt: skip
        with pytest.raises(ValueError):
            understander.parse(bad)
