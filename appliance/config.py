"""Typed settings: config/appliance.toml, then `.env.local`, then the environment.

Every section is a frozen dataclass. Unknown keys and values of the wrong type are errors
that name the key and where it came from; all of them are reported at once.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values

from appliance.errors import ConfigError

#: The checkout the appliance runs from (``install.sh`` installs it editable).
INSTALL_ROOT = Path(os.environ.get("APPLIANCE_HOME") or Path(__file__).resolve().parents[1])
DEFAULT_CONFIG_PATH = INSTALL_ROOT / "config" / "appliance.toml"

_SECRET = {"secret": True}
#: The models the appliance loads, by role; each has a section with its model_path.
MODEL_ROLES = ("stt", "llm", "tts", "nlu")


def _secret(default: str = "") -> Any:
    return field(default=default, metadata=_SECRET)


def _bounded(default: float, low: float, high: float | None = None) -> Any:
    return field(default=default, metadata={"min": low, "max": high})


@dataclass(frozen=True)
class ServerSettings:
    """The HTTP server and its admin API."""

    host: str = "127.0.0.1"
    port: int = _bounded(8080, 1, 65535)
    admin_token: str = _secret()
    shutdown_grace_s: float = _bounded(10.0, 0)
    #: A connection must send a whole request (its headers, and its body once a handler reads
    #: it) within this long, and an idle kept-alive connection is closed after it: a client
    #: that trickles bytes, or says nothing, does not hold a descriptor for long.
    header_timeout_s: float = _bounded(10.0, 1.0, 300.0)
    #: Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or
    #: networks). Behind any other, every guest counts as the proxy's one address.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")

    def problems(self) -> list[str]:
        found = []
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                found.append(
                    f"[server] trusted_proxies: {entry!r} is not an address or network (10.0.0.5, 10.0.0.0/24)"
                )
        return found


@dataclass(frozen=True)
class PathSettings:
    """Where data and models live. Relative paths are relative to the install root."""

    data_dir: Path = Path("data")
    models_dir: Path = Path("models")
    hotel_file: Path = Path("config/hotel.toml")

    @property
    def database_file(self) -> Path:
        """The DuckDB file that holds calls, turns and metrics."""
        return self.data_dir / "appliance.duckdb"


@dataclass(frozen=True)
class SttSettings:
    """faster-whisper. ``model_path`` is a CTranslate2 model directory."""

    model_path: Path = Path("stt/whisper-tiny.en")
    #: "auto" takes an NVIDIA GPU when CTranslate2 sees one, else the CPU.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "int8"
    cpu_threads: int = _bounded(2, 1)
    beam_size: int = _bounded(1, 1, 10)
    language: str = "en"
    short_window_s: float = _bounded(10.0, 0.0, 30.0)
    #: Words whose mean log-probability per token is below this are doubted, and the
    #: booking details they carry read back to the caller ("2 guests, is that right?").
    doubt_below_logprob: float = _bounded(-0.5, -10.0, 0.0)


@dataclass(frozen=True)
class LlmSettings:
    """llama.cpp. ``model_path`` is a GGUF file."""

    model_path: Path = Path("llm/SmolLM2-135M-Instruct.Q4_1.gguf")
    #: "llama": the GGUF above, in-process. "openai": any OpenAI-compatible server at
    #: ``base_url`` (vLLM, llama.cpp's server, Ollama), e.g. a GPU box the group shares.
    backend: Literal["llama", "openai"] = "llama"
    base_url: str = ""
    api_key: str = _secret()
    #: The model name sent to the server ("" sends the server's default).
    model: str = ""
    timeout_s: float = _bounded(4.0, 0.2, 120.0)
    #: "auto" offloads every layer to the GPU when llama.cpp was built with CUDA.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    context_tokens: int = _bounded(2048, 256)
    threads: int = _bounded(2, 1)
    max_reply_tokens: int = _bounded(96, 8)
    temperature: float = _bounded(0.3, 0.0, 2.0)
    chat_format: str = ""


@dataclass(frozen=True)
class TtsSettings:
    """Piper. ``model_path`` is the voice's .onnx; its .onnx.json sits beside it."""

    model_path: Path = Path("tts/en_US-joe-medium.onnx")
    #: "auto" runs the voice on CUDA when onnxruntime-gpu is installed and sees a GPU.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    speaker_id: int = _bounded(0, 0)
    length_scale: float = _bounded(1.0, 0.5, 2.0)
    noise_scale: float = _bounded(0.0, 0.0, 1.0)
    noise_w_scale: float = _bounded(0.0, 0.0, 1.0)
    threads: int = _bounded(1, 1)


@dataclass(frozen=True)
class VadSettings:
    """Endpointing on webrtcvad decisions, in 20 ms frames."""

    aggressiveness: int = _bounded(2, 0, 3)
    pre_roll_ms: int = _bounded(300, 0, 2000)
    start_speech_ms: int = _bounded(60, 20, 1000)
    min_speech_ms: int = _bounded(200, 20, 5000)
    speculative_pause_ms: int = _bounded(200, 60, 2000)
    endpoint_silence_ms: int = _bounded(500, 100, 5000)
    early_endpoint_ms: int = _bounded(300, 0, 5000)
    max_utterance_s: float = _bounded(15.0, 1.0, 120.0)


@dataclass(frozen=True)
class UnderstandingSettings:
    """How callers' words become commands for the flows."""

    #: "semantic": sentence embeddings against the hotel's facts and example phrasings (the
    #: default, fast on 2 cores). "llm": the language model writes the commands under a JSON
    #: schema, falling back to "semantic" on a bad answer. "rules": keyword patterns only.
    understander: Literal["semantic", "llm", "rules"] = "semantic"
    model_path: Path = Path("nlu/all-MiniLM-L6-v2")
    #: The nearest example must be at least this similar (cosine) to be believed...
    min_score: float = _bounded(0.5, 0.0, 1.0)
    #: ...and this much more similar than the best example of any other meaning.
    margin: float = _bounded(0.03, 0.0, 1.0)


@dataclass(frozen=True)
class DialogueSettings:
    """The turn loop: greeting, barge-in, and what the language model may do."""

    #: The hotel's own greeting ({hotel} is its name); empty: the sentence catalogue's.
    greeting: str = ""
    barge_in_min_ms: int = _bounded(120, 40, 2000)
    barge_in_min_rms: float = _bounded(400.0, 0.0, 30000.0)
    #: Let the language model phrase small talk, only if it passes a quality check at start;
    #: otherwise fixed sentences. Facts never come from it.
    small_talk_with_llm: bool = True
    silence_prompt_s: float = _bounded(8.0, 2.0, 120.0)
    silence_hangup_s: float = _bounded(25.0, 5.0, 600.0)


@dataclass(frozen=True)
class VoiceSettings:
    """Call behaviour shared by every channel."""

    enabled: bool = True
    default_language: str = "en-US"
    max_call_duration_minutes: int = _bounded(30, 1, 240)


@dataclass(frozen=True)
class WebRtcSettings:
    """Guests talking in the browser: the guest page at / and its WebRTC calls."""

    enabled: bool = True
    max_sessions: int = _bounded(4, 1, 200)
    #: No audio from the browser for this long (a dropped connection) ends the call.
    idle_timeout_s: float = _bounded(15.0, 2.0, 600.0)
    #: An offer answered but never connected is given up after this long.
    connect_timeout_s: float = _bounded(20.0, 2.0, 300.0)
    #: How often connection quality (jitter, loss, round trip) is sampled and stored.
    stats_interval_s: float = _bounded(5.0, 0.5, 300.0)
    #: STUN and TURN servers for guests behind NAT, given to the browser and the appliance.
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_username: str = ""
    turn_credential: str = _secret()
    #: Offer only these local addresses to browsers (empty: every interface but loopback).
    host_addresses: tuple[str, ...] = ()
    #: The browser's echo cancellation, noise suppression and gain control on the microphone.
    echo_cancellation: bool = True
    #: A signalling connection that brings no offer within this long is closed.
    offer_timeout_s: float = _bounded(10.0, 1.0, 120.0)
    #: Signalling connections and offers in progress one guest address may hold at once...
    max_sockets_per_address: int = _bounded(4, 1, 1000)
    #: ...and browser calls (a guest's page or a kiosk PC holds one).
    max_calls_per_address: int = _bounded(2, 1, 200)


@dataclass(frozen=True)
class KioskSettings:
    """The lobby kiosk: a microphone and speaker on the box, or on a kiosk PC in the lobby."""

    #: The PortAudio device (name or number, see `appliance kiosk --list-devices`); empty: the default.
    input_device: str = ""
    output_device: str = ""
    #: "push-to-talk": the guest presses Enter to talk and again when done; "always-on": the
    #: kiosk listens, and a conversation starts when someone speaks to it.
    mode: Literal["push-to-talk", "always-on"] = "push-to-talk"
    #: A conversation with nothing said for this long ends; the kiosk waits for the next guest.
    session_silence_s: float = _bounded(20.0, 3.0, 600.0)
    #: Half-duplex: the microphone is not listened to while the kiosk speaks, so its own voice
    #: from the speaker can never interrupt it.
    half_duplex: bool = True


@dataclass(frozen=True)
class RecordingSettings:
    """Call recordings: off unless the hotel turns them on."""

    enabled: bool = False
    storage: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    aws_access_key_id: str = _secret()
    aws_secret_access_key: str = _secret()


@dataclass(frozen=True)
class RetentionSettings:
    """How long call records are kept; the purge runs daily. 0 keeps them until erased."""

    call_days: int = _bounded(90, 0)


@dataclass(frozen=True)
class TwilioSettings:
    """The hotel's Twilio account. ``api_base_url`` is configurable so tests can point it at loopback."""

    account_sid: str = ""
    auth_token: str = _secret()
    phone_number: str = ""
    api_base_url: str = "https://api.twilio.com"
    #: The address Twilio reaches this box at; stream URLs and signatures are built on it.
    public_base_url: str = ""
    max_concurrent_calls: int = _bounded(4, 1, 500)
    stream_timeout_s: float = _bounded(10.0, 1.0, 600.0)
    transfer_timeout_s: int = _bounded(20, 5, 120)
    hold_music_url: str = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class DepartmentSettings:
    """Phone numbers calls are transferred to."""

    front_desk: str = ""
    housekeeping: str = ""
    management: str = ""
    maintenance: str = ""


@dataclass(frozen=True)
class LoggingSettings:
    """One line per event, as text for people or JSON for collectors."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class AnalyticsSettings:
    """What the hotel learns from its calls: KPIs, live sentiment, /metrics, the dashboard."""

    #: The hotel's time zone (IANA name): hours of the day, dates and after-hours are local.
    timezone: str = "UTC"
    #: Calls outside these hours (local, "HH:MM") count as after-hours.
    business_opens: str = "08:00"
    business_closes: str = "20:00"
    #: Each caller turn's mood, -1.0 to 1.0, computed on this box. "vader": a lexicon, at
    #: once. "llm": VADER at once, then the language model's judgment in its place. "auto":
    #: "llm" when the configured model passes a check at start-up, else "vader" (the bundled
    #: model does not pass). "off": none.
    sentiment: Literal["auto", "llm", "vader", "off"] = "auto"
    #: Offer a human (and flag the call) when the caller's mood keeps falling or they ask
    #: the same thing twice.
    escalation: bool = True
    #: Falling: over this many latest caller turns, each lower than the one before...
    escalation_turns: int = _bounded(3, 2, 10)
    #: ...by this much in all, ending at or below ``escalation_below``.
    escalation_drop: float = _bounded(0.3, 0.0, 2.0)
    escalation_below: float = _bounded(-0.2, -1.0, 1.0)
    #: The same question asked twice (the same fact, or the same words) also offers a human.
    escalation_on_repeat: bool = True
    #: Who may read /metrics: "local" (loopback and the ``[metrics] allow`` networks, no
    #: token) or "token" (Authorization: Bearer with metrics_token, or the admin token).
    metrics_access: Literal["local", "token"] = "local"
    metrics_token: str = _secret()

    def problems(self) -> list[str]:
        found = []
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            found.append(f"[analytics] timezone: unknown time zone {self.timezone!r} (e.g. Europe/Lisbon)")
        for key in ("business_opens", "business_closes"):
            if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", getattr(self, key)):
                found.append(f"[analytics] {key}: expected a 24-hour time HH:MM, got {getattr(self, key)!r}")
        return found


@dataclass(frozen=True)
class MetricsSettings:
    """Who may scrape /metrics without a token (``[analytics] metrics_access = "local"``)."""

    #: Networks besides this machine's loopback whose scrapers need no token, e.g. the
    #: monitoring VLAN ["10.20.0.0/24"]. Nothing else is trusted: not the guest Wi-Fi.
    allow: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        found = []
        for entry in self.allow:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                found.append(f"[metrics] allow: {entry!r} is not a network (10.20.0.0/24) or address")
        return found


@dataclass(frozen=True)
class SyncSettings:
    """Analytics sent to the hotel group's cloud on a schedule. Off unless turned on."""

    enabled: bool = False
    destination: Literal["s3", "https"] = "s3"
    #: Names this hotel in the synced data (the property=<id> partition).
    property_id: str = ""
    #: "every 60m" (also s, h) or a five-field cron expression in UTC ("15 * * * *").
    schedule: str = "every 60m"
    #: Hours are sent once they ended this long ago, so calls still running are counted.
    settle_minutes: int = _bounded(60, 0, 1440)
    #: Opt-ins beyond the hourly aggregates: one row per call (the caller as a salted hash)...
    include_calls: bool = False
    #: ...with its transcript, card numbers and phone numbers removed.
    include_transcripts: bool = False
    caller_hash_salt: str = _secret()
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    aws_access_key_id: str = _secret()
    aws_secret_access_key: str = _secret()
    https_url: str = ""
    https_token: str = _secret()
    https_format: Literal["json", "parquet"] = "json"
    timeout_s: float = _bounded(30.0, 1.0, 600.0)
    #: After a failure the next try waits retry_base_s, doubling up to retry_max_s.
    retry_base_s: float = _bounded(60.0, 0.0, 86400.0)
    retry_max_s: float = _bounded(3600.0, 0.0, 86400.0)

    def problems(self) -> list[str]:
        from appliance.analytics.schedule import parse_schedule

        found = []
        try:
            parse_schedule(self.schedule)
        except ValueError as err:
            found.append(f"[sync] schedule: {err}")
        if not self.enabled:
            return found
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", self.property_id):
            found.append(
                f"[sync] property_id: needed when sync is on: 1-64 letters, digits, . _ -; got {self.property_id!r}"
            )
        if self.destination == "s3" and not self.s3_bucket:
            found.append("[sync] s3_bucket: needed when destination is s3")
        if self.destination == "https" and not self.https_url.startswith(("https://", "http://")):
            found.append(f"[sync] https_url: needed when destination is https, got {self.https_url!r}")
        if self.include_transcripts and not self.include_calls:
            found.append("[sync] include_transcripts needs include_calls = true")
        if self.include_calls and not self.caller_hash_salt:
            found.append("[sync] caller_hash_salt: needed with include_calls (APPLIANCE_SYNC_SALT)")
        return found


@dataclass(frozen=True)
class PaymentSettings:
    """Payments are never taken by voice: a caller who wants to pay is sent a secure link by
    text message (when the hotel has one), or offered the front desk."""

    #: The hotel's secure payment page; {code} is replaced by the reservation's code when the
    #: call has one ("https://pay.example.com/harbor-view?booking={code}"). Empty: no link.
    link_url: str = ""

    def problems(self) -> list[str]:
        if self.link_url and not self.link_url.startswith("https://"):
            return [f"[payments] link_url: a payment link must be https://, got {self.link_url!r}"]
        return []


@dataclass(frozen=True)
class CompatSettings:
    """Settings of the hotel's earlier cloud voice module, accepted so old env files still load."""

    openai_voice: str = ""
    openai_realtime_model: str = ""


@dataclass(frozen=True)
class Config:
    """All settings; each component is handed only its own section."""

    server: ServerSettings = ServerSettings()
    paths: PathSettings = PathSettings()
    stt: SttSettings = SttSettings()
    llm: LlmSettings = LlmSettings()
    tts: TtsSettings = TtsSettings()
    voice: VoiceSettings = VoiceSettings()
    vad: VadSettings = VadSettings()
    understanding: UnderstandingSettings = UnderstandingSettings()
    dialogue: DialogueSettings = DialogueSettings()
    webrtc: WebRtcSettings = WebRtcSettings()
    kiosk: KioskSettings = KioskSettings()
    recording: RecordingSettings = RecordingSettings()
    retention: RetentionSettings = RetentionSettings()
    twilio: TwilioSettings = TwilioSettings()
    departments: DepartmentSettings = DepartmentSettings()
    logging: LoggingSettings = LoggingSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    metrics: MetricsSettings = MetricsSettings()
    sync: SyncSettings = SyncSettings()
    payments: PaymentSettings = PaymentSettings()
    compat: CompatSettings = CompatSettings()
    #: Where the settings came from, for messages: the TOML path and the env files read.
    sources: tuple[str, ...] = ()

    def model_path(self, role: str) -> Path:
        """The configured model path of ``role`` (stt, llm, tts, nlu), resolved against models_dir."""
        sections: dict[str, SttSettings | LlmSettings | TtsSettings | UnderstandingSettings] = {
            "stt": self.stt,
            "llm": self.llm,
            "tts": self.tts,
            "nlu": self.understanding,
        }
        section = sections[role]
        return self.paths.models_dir / section.model_path

    def warnings(self) -> list[str]:
        """Settings that load but that the hotel should know about."""
        notes = []
        if self.compat.openai_voice:
            notes.append(
                f"OPENAI_VOICE={self.compat.openai_voice!r} is accepted for compatibility but "
                f"unused: the appliance speaks with the local Piper voice {self.model_path('tts')} "
                "([tts] model_path)."
            )
        if self.compat.openai_realtime_model:
            notes.append(
                f"OPENAI_REALTIME_MODEL={self.compat.openai_realtime_model!r} is accepted for "
                "compatibility but unused: conversations run on the local model "
                f"{self.model_path('llm')} ([llm] model_path)."
            )
        if not self.server.admin_token:
            notes.append(
                "no admin token is set (APPLIANCE_ADMIN_TOKEN): the admin API is open on "
                "loopback and the server refuses to listen on any other address."
            )
        if (
            self.recording.enabled
            and self.recording.storage == "s3"
            and not self.recording.s3_bucket
        ):
            notes.append("recording.storage is s3 but no S3_RECORDINGS_BUCKET is set.")
        return notes


#: Environment variables, by the names the hotel's earlier voice module used, and the
#: appliance's own APPLIANCE_* names: variable -> (section, key).
ENV_VARS: dict[str, tuple[str, str]] = {
    "VOICE_ENABLED": ("voice", "enabled"),
    "DEFAULT_LANGUAGE": ("voice", "default_language"),
    "MAX_CALL_DURATION_MINUTES": ("voice", "max_call_duration_minutes"),
    "TWILIO_ACCOUNT_SID": ("twilio", "account_sid"),
    "TWILIO_AUTH_TOKEN": ("twilio", "auth_token"),
    "TWILIO_PHONE_NUMBER": ("twilio", "phone_number"),
    "VOICE_RECORDING_ENABLED": ("recording", "enabled"),
    "RECORDING_STORAGE": ("recording", "storage"),
    "S3_RECORDINGS_BUCKET": ("recording", "s3_bucket"),
    "AWS_ACCESS_KEY_ID": ("recording", "aws_access_key_id"),
    "AWS_SECRET_ACCESS_KEY": ("recording", "aws_secret_access_key"),
    "FRONT_DESK_PHONE": ("departments", "front_desk"),
    "HOUSEKEEPING_PHONE": ("departments", "housekeeping"),
    "MANAGEMENT_PHONE": ("departments", "management"),
    "MAINTENANCE_PHONE": ("departments", "maintenance"),
    "OPENAI_VOICE": ("compat", "openai_voice"),
    "OPENAI_REALTIME_MODEL": ("compat", "openai_realtime_model"),
    "APPLIANCE_ADMIN_TOKEN": ("server", "admin_token"),
    "APPLIANCE_HOST": ("server", "host"),
    "APPLIANCE_PORT": ("server", "port"),
    "APPLIANCE_DATA_DIR": ("paths", "data_dir"),
    "APPLIANCE_MODELS_DIR": ("paths", "models_dir"),
    "APPLIANCE_HOTEL_FILE": ("paths", "hotel_file"),
    "APPLIANCE_RETENTION_DAYS": ("retention", "call_days"),
    "APPLIANCE_STT_MODEL": ("stt", "model_path"),
    "APPLIANCE_LLM_MODEL": ("llm", "model_path"),
    "APPLIANCE_TTS_MODEL": ("tts", "model_path"),
    "APPLIANCE_NLU_MODEL": ("understanding", "model_path"),
    "APPLIANCE_UNDERSTANDER": ("understanding", "understander"),
    "APPLIANCE_LLM_BACKEND": ("llm", "backend"),
    "APPLIANCE_LLM_BASE_URL": ("llm", "base_url"),
    "APPLIANCE_LLM_API_KEY": ("llm", "api_key"),
    "APPLIANCE_LOG_LEVEL": ("logging", "level"),
    "APPLIANCE_LOG_FORMAT": ("logging", "format"),
    "APPLIANCE_TWILIO_API_BASE_URL": ("twilio", "api_base_url"),
    "TWILIO_API_BASE_URL": ("twilio", "api_base_url"),
    "PUBLIC_BASE_URL": ("twilio", "public_base_url"),
    "APPLIANCE_MAX_CALLS": ("twilio", "max_concurrent_calls"),
    "APPLIANCE_METRICS_TOKEN": ("analytics", "metrics_token"),
    "APPLIANCE_PAYMENT_LINK": ("payments", "link_url"),
    "APPLIANCE_METRICS_ALLOW": ("metrics", "allow"),
    "APPLIANCE_TRUSTED_PROXIES": ("server", "trusted_proxies"),
    "APPLIANCE_SYNC_ENABLED": ("sync", "enabled"),
    "APPLIANCE_SYNC_DESTINATION": ("sync", "destination"),
    "APPLIANCE_SYNC_PROPERTY_ID": ("sync", "property_id"),
    "APPLIANCE_SYNC_SCHEDULE": ("sync", "schedule"),
    "APPLIANCE_SYNC_SETTLE_MINUTES": ("sync", "settle_minutes"),
    "APPLIANCE_SYNC_INCLUDE_CALLS": ("sync", "include_calls"),
    "APPLIANCE_SYNC_INCLUDE_TRANSCRIPTS": ("sync", "include_transcripts"),
    "APPLIANCE_SYNC_SALT": ("sync", "caller_hash_salt"),
    "APPLIANCE_SYNC_S3_BUCKET": ("sync", "s3_bucket"),
    "APPLIANCE_SYNC_S3_PREFIX": ("sync", "s3_prefix"),
    "APPLIANCE_SYNC_S3_ENDPOINT_URL": ("sync", "s3_endpoint_url"),
    "APPLIANCE_SYNC_S3_REGION": ("sync", "s3_region"),
    "APPLIANCE_SYNC_AWS_ACCESS_KEY_ID": ("sync", "aws_access_key_id"),
    "APPLIANCE_SYNC_AWS_SECRET_ACCESS_KEY": ("sync", "aws_secret_access_key"),
    "APPLIANCE_SYNC_HTTPS_URL": ("sync", "https_url"),
    "APPLIANCE_SYNC_HTTPS_TOKEN": ("sync", "https_token"),
    "APPLIANCE_SYNC_HTTPS_FORMAT": ("sync", "https_format"),
    "APPLIANCE_SYNC_TIMEOUT_S": ("sync", "timeout_s"),
    "APPLIANCE_SYNC_RETRY_BASE_S": ("sync", "retry_base_s"),
    "APPLIANCE_SYNC_RETRY_MAX_S": ("sync", "retry_max_s"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def config_path_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The TOML file to read: APPLIANCE_CONFIG, else config/appliance.toml in the install root."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("APPLIANCE_CONFIG") or DEFAULT_CONFIG_PATH)


def env_files() -> list[Path]:
    """`.env.local` files to read, weakest first: the install root's, then the working dir's."""
    candidates = [INSTALL_ROOT / ".env.local", Path.cwd() / ".env.local"]
    seen: list[Path] = []
    for path in candidates:
        # Under systemd the file belongs to root and reaches the service as EnvironmentFile.
        readable = path.is_file() and os.access(path, os.R_OK)
        if readable and path.resolve() not in [p.resolve() for p in seen]:
            seen.append(path)
    return seen


def load_config(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    read_env_files: bool = True,
) -> Config:
    """Read the TOML file, then `.env.local`, then ``environ`` (default: the process env)."""
    environ = dict(os.environ if environ is None else environ)
    path = path or config_path_from_env(environ)
    sources: list[str] = []
    merged_env: dict[str, str] = {}
    if read_env_files:
        for env_file in env_files():
            values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
            merged_env.update(values)
            sources.append(str(env_file))
    merged_env.update(environ)

    problems: list[str] = []
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError("config-syntax", f"{path}: not valid TOML: {err}") from err
        except OSError as err:
            raise ConfigError("config-unreadable", f"{path}: cannot read: {err}") from err
        sources.insert(0, str(path))
    elif path != DEFAULT_CONFIG_PATH:
        raise ConfigError("config-missing", f"{path}: no such configuration file")

    sections: dict[str, dict[str, Any]] = {}
    section_types = {f.name: f.type for f in _fields(Config) if f.name != "sources"}
    for name, table in raw.items():
        if name not in section_types:
            problems.append(f"{path}: unknown section [{name}]{_suggest(name, section_types)}")
            continue
        if not isinstance(table, dict):
            problems.append(f"{path}: [{name}] must be a table, got {_describe(table)}")
            continue
        sections[name] = {}
        cls = _section_class(name)
        known = {f.name: f for f in _fields(cls)}
        for key, value in table.items():
            if key not in known:
                problems.append(f"{path}: unknown key [{name}] {key}{_suggest(key, known)}")
                continue
            try:
                sections[name][key] = _in_range(_coerce_toml(value, _hint(cls, key)), known[key])
            except ValueError as err:
                problems.append(f"{path}: [{name}] {key}: {err}")

    for var, (section, key) in ENV_VARS.items():
        if var not in merged_env:
            continue
        cls = _section_class(section)
        try:
            value = _coerce_env(merged_env[var], _hint(cls, key))
            sections.setdefault(section, {})[key] = _in_range(value, _field(cls, key))
        except ValueError as err:
            problems.append(f"environment {var} (sets [{section}] {key}): {err}")

    if problems:
        raise ConfigError("config-invalid", "invalid configuration:\n  " + "\n  ".join(problems))

    built = {name: _section_class(name)(**values) for name, values in sections.items()}
    for section in built.values():
        checks = getattr(section, "problems", None)
        problems += checks() if checks is not None else []
    if problems:
        raise ConfigError("config-invalid", "invalid configuration:\n  " + "\n  ".join(problems))
    config = Config(**built, sources=tuple(sources))
    return _resolve_paths(config)


def default_config() -> Config:
    """The built-in defaults alone, with paths resolved: for reporting when the file is bad."""
    return _resolve_paths(Config())


def _resolve_paths(config: Config) -> Config:
    paths = config.paths
    resolved = PathSettings(
        data_dir=(INSTALL_ROOT / paths.data_dir).resolve(),
        models_dir=(INSTALL_ROOT / paths.models_dir).resolve(),
        hotel_file=(INSTALL_ROOT / paths.hotel_file).resolve(),
    )
    return dataclasses.replace(config, paths=resolved)


def masked(config: Config) -> dict[str, dict[str, Any]]:
    """The settings as plain values with every secret masked, for display."""
    shown: dict[str, dict[str, Any]] = {}
    for section_field in _fields(Config):
        if section_field.name == "sources":
            continue
        section = getattr(config, section_field.name)
        values: dict[str, Any] = {}
        for f in _fields(type(section)):
            value = getattr(section, f.name)
            if f.metadata.get("secret"):
                value = _mask(value)
            elif isinstance(value, Path):
                value = str(value)
            values[f.name] = value
        shown[section_field.name] = values
    return shown


def _mask(value: str) -> str:
    if not value:
        return "(not set)"
    return "****" + value[-4:] if len(value) >= 16 else "****"


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _field(cls: type, key: str) -> dataclasses.Field[Any]:
    return next(f for f in _fields(cls) if f.name == key)


def _in_range(value: Any, spec: dataclasses.Field[Any]) -> Any:
    low, high = spec.metadata.get("min"), spec.metadata.get("max")
    if low is not None and value < low:
        raise ValueError(f"must be at least {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"must be at most {high}, got {value!r}")
    return value


def _section_class(name: str) -> type:
    cls = typing.get_type_hints(Config)[name]
    assert isinstance(cls, type)
    return cls


def _hint(cls: type, key: str) -> Any:
    return typing.get_type_hints(cls)[key]


def _suggest(name: str, known: Mapping[str, Any] | set[str] | list[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _coerce_toml(value: Any, hint: Any) -> Any:
    """Check a TOML value against the field type; TOML already carries types, so be strict."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ValueError(
                f"expected one of {', '.join(map(repr, choices))}, got {_describe(value)}"
            )
        return value
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _coerce_toml(value, inner[0])
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {_describe(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_describe(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_describe(value)}")
        return value
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a path string, got {_describe(value)}")
        return Path(value).expanduser()
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"expected a list of strings, got {_describe(value)}")
        return tuple(value)
    raise TypeError(f"unsupported setting type {hint!r}")


def _coerce_env(text: str, hint: Any) -> Any:
    """Parse an environment string into the field type."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return _coerce_toml(text.strip().lower(), hint)
    if hint is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected true/false (or 1/0, yes/no, on/off), got {text!r}")
    if hint is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if hint is float:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if hint is Path:
        if not text.strip():
            raise ValueError("expected a path, got an empty value")
        return Path(text.strip()).expanduser()
    if origin is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text
