"""`appliance doctor`: every check IT staff would make by hand, each failure with its fix."""

from __future__ import annotations

import importlib
import shutil
import socket
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from appliance.config import MODEL_ROLES, Config
from appliance.errors import ConfigError, ModelError
from appliance.models import bundled_model_at, failed_checks
from appliance.store.access import running_appliance, server_url_for

_GIB = 1 << 30


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def run_checks(config: Config, config_problem: str | None = None) -> list[Check]:
    checks = [_python()]
    if config_problem:
        checks.append(Check("config", Status.FAIL, config_problem, "correct the named keys"))
    else:
        sources = ", ".join(config.sources) or "built-in defaults"
        checks.append(Check("config", Status.OK, f"loaded from {sources}"))
    checks.append(_hotel(config))
    checks.append(_packages())
    checks += [_model(config, role) for role in MODEL_ROLES]
    checks.append(_devices(config))
    checks.append(_port(config.server.host, config.server.port))
    checks.append(_audio_devices())
    checks.append(_disk(config.paths.data_dir))
    checks.append(_database(config.paths.database_file))
    checks.append(_admin_token(config))
    checks.append(_sync(config))
    return checks


def _sync(config: Config) -> Check:
    """Where analytics go, if anywhere: sync is off unless the hotel turns it on."""
    sync = config.sync
    if not sync.enabled:
        return Check("cloud sync", Status.OK, "off: no analytics leave the box")
    where = (
        f"s3://{sync.s3_bucket}/{sync.s3_prefix}" + (f" at {sync.s3_endpoint_url}" if sync.s3_endpoint_url else "")
        if sync.destination == "s3"
        else sync.https_url
    )
    sent = "hourly aggregates" + (
        (", per-call rows" + (" with redacted transcripts" if sync.include_transcripts else ""))
        if sync.include_calls
        else ""
    )
    return Check(
        "cloud sync", Status.OK,
        f"{sent} of {sync.property_id} to {where}, {sync.schedule}; `appliance sync status` shows the last run",
    )  # fmt: skip


def _python() -> Check:
    # The package needs 3.11, so reaching this line already proves the version is enough.
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("python", Status.OK, f"Python {version} at {sys.executable}")


def _hotel(config: Config) -> Check:
    from appliance.hotel.model import load_hotel

    try:
        hotel = load_hotel(config.paths.hotel_file)
    except ConfigError as err:
        return Check("hotel file", Status.FAIL, err.message, "correct the named entries")
    rooms = sum(r.count for r in hotel.room_types)
    return Check(
        "hotel file", Status.OK, f"{hotel.name}: {len(hotel.room_types)} room types, {rooms} rooms"
    )


def _packages() -> Check:
    missing = []
    for module in (
        "faster_whisper",
        "ctranslate2",
        "llama_cpp",
        "piper",
        "onnxruntime",
        "duckdb",
        "aiortc",
    ):
        try:
            importlib.import_module(module)
        except Exception as err:  # a broken native build raises OSError, not ImportError
            missing.append(f"{module} ({type(err).__name__}: {err})")
    if missing:
        return Check(
            "packages", Status.FAIL, "cannot import " + "; ".join(missing), "run ./install.sh"
        )
    return Check("packages", Status.OK, "model runtimes and server libraries import")


def _model(config: Config, role: str) -> Check:
    path = config.model_path(role)
    name = f"{role} model"
    try:
        bundled = bundled_model_at(config.paths.models_dir, path)
    except ModelError as err:
        return Check(name, Status.FAIL, err.message, "restore models/manifest.toml from the source")
    if bundled is None:
        if path.exists():
            return Check(
                name,
                Status.OK,
                f"{path} (the hotel's own model; `appliance models verify` loads it)",
            )
        return Check(
            name, Status.FAIL, f"{path}: missing",
            f"copy the model there or point [{role}] model_path at it",
        )  # fmt: skip
    bad = failed_checks(config.paths.models_dir, bundled)
    if bad:
        by_state: dict[str, list[str]] = {}
        for c in bad:
            by_state.setdefault(c.state.value, []).append(c.file.dest)
        detail = f"{bundled.name} in {config.paths.models_dir}: " + "; ".join(
            f"{state}: {', '.join(dests)}" for state, dests in by_state.items()
        )
        return Check(name, Status.FAIL, detail, "appliance models install")
    return Check(name, Status.OK, f"{bundled.name} at {path}, checksums ok")


def planned_devices(config: Config) -> dict[str, str]:
    """Where each model will run, from the settings and what the runtimes see (no model is
    loaded)."""
    import ctranslate2
    import onnxruntime
    from llama_cpp import llama_supports_gpu_offload

    from appliance.stt.whisper import whisper_device

    def pick(wanted: str, available: bool) -> str:
        if wanted == "cuda" and not available:
            return "cuda asked for, none usable"
        return "cuda" if wanted in ("auto", "cuda") and available else "cpu"

    llm = (
        f"server {config.llm.base_url}"
        if config.llm.backend == "openai"
        else pick(config.llm.device, llama_supports_gpu_offload())
    )
    stt = whisper_device(config.stt.device) if config.stt.device != "cuda" else pick(
        "cuda", ctranslate2.get_cuda_device_count() > 0
    )  # fmt: skip
    tts = pick(config.tts.device, "CUDAExecutionProvider" in onnxruntime.get_available_providers())
    return {"stt": stt, "llm": llm, "tts": tts, "nlu": "cpu"}


def _devices(config: Config) -> Check:
    try:
        devices = planned_devices(config)
    except Exception as err:  # a runtime that cannot even report its devices
        return Check("devices", Status.FAIL, f"cannot tell: {type(err).__name__}: {err}", "run ./install.sh")
    detail = ", ".join(f"{role} on {where}" for role, where in devices.items())
    if any("none usable" in where for where in devices.values()):
        return Check("devices", Status.FAIL, detail, "install.sh --gpu, or set device = \"auto\"")
    return Check("devices", Status.OK, detail)


def _port(host: str, port: int) -> Check:
    name = "port"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return Check(name, Status.OK, f"{host}:{port} is free")
        except OSError as err:
            reason = err.strerror or str(err)
    running = _running_appliance(host, port)
    if running:
        return Check(name, Status.OK, f"{host}:{port} is held by a running appliance ({running})")
    return Check(
        name, Status.FAIL, f"cannot listen on {host}:{port}: {reason}",
        "stop the program on that port or set [server] port / APPLIANCE_PORT",
    )  # fmt: skip


def _running_appliance(host: str, port: int) -> str | None:
    health = running_appliance(server_url_for(host, port))
    return f"version {health['version']}, status {health.get('status')}" if health else None


def _audio_devices() -> Check:
    name = "audio devices"
    try:
        import sounddevice
    except OSError as err:
        return Check(
            name, Status.WARN, f"PortAudio is not installed ({err}); the lobby kiosk cannot run",
            "apt-get install libportaudio2",
        )  # fmt: skip
    try:
        devices = sounddevice.query_devices()
    except Exception as err:  # PortAudio reports host API trouble as PortAudioError
        return Check(
            name, Status.WARN, f"cannot list audio devices: {err}", "check the sound card and ALSA"
        )
    inputs = [d for d in devices if d["max_input_channels"] > 0]
    outputs = [d for d in devices if d["max_output_channels"] > 0]
    if not inputs or not outputs:
        return Check(
            name, Status.WARN,
            f"{len(inputs)} input and {len(outputs)} output devices: the lobby kiosk needs both "
            "(phone and browser calls do not)",
            "connect a microphone and speaker for the kiosk",
        )  # fmt: skip
    return Check(name, Status.OK, f"{len(inputs)} input and {len(outputs)} output devices")


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _disk(data_dir: Path) -> Check:
    free = shutil.disk_usage(_existing_parent(data_dir)).free
    detail = f"{free / _GIB:.1f} GiB free for {data_dir}"
    if free < _GIB:
        return Check(
            "disk space", Status.FAIL, detail, "free disk space: recordings and the database grow"
        )
    if free < 5 * _GIB:
        return Check("disk space", Status.WARN, detail, "free disk space or purge old calls")
    return Check("disk space", Status.OK, detail)


def _database(database_file: Path) -> Check:
    name = "database"
    import duckdb

    try:
        database_file.parent.mkdir(parents=True, exist_ok=True)
        probe = database_file.parent / ".doctor-write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as err:
        return Check(
            name, Status.FAIL, f"{database_file.parent} is not writable: {err}",
            "give the service user write access or set APPLIANCE_DATA_DIR",
        )  # fmt: skip
    try:
        duckdb.connect(str(database_file)).close()
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            return Check(name, Status.OK, f"{database_file} is open in the running appliance")
        return Check(
            name, Status.FAIL, f"{database_file}: {err}", "check the file and its permissions"
        )
    except duckdb.Error as err:
        return Check(
            name,
            Status.FAIL,
            f"{database_file}: {err}",
            "move the damaged file aside; it is recreated",
        )
    return Check(name, Status.OK, f"{database_file} is writable")


def _admin_token(config: Config) -> Check:
    if config.server.admin_token:
        return Check("admin token", Status.OK, "set")
    return Check(
        "admin token", Status.WARN, "not set: admin API open on loopback only",
        "run ./install.sh (writes APPLIANCE_ADMIN_TOKEN to .env.local) or set it yourself",
    )  # fmt: skip
