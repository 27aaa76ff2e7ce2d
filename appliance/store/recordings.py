"""Where finished call recordings go: WAV files under the data dir, or an S3 bucket (AWS or an
S3-compatible store on the premises, through boto3)."""

from __future__ import annotations

import logging
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from appliance.audio.recording import (
    CHECKED_SUFFIX,
    RAW_SUFFIX,
    CallRecorder,
    finish_raw,
    remove_raw,
)
from appliance.config import RecordingSettings
from appliance.errors import StoreError
from appliance.files import private_dir
from appliance.store.health import storage_fault
from appliance.workers import ModelWorker

_LOGGER = logging.getLogger(__name__)


class Recordings(Protocol):
    """Starts recorders and keeps what they finish."""

    def start(self, session_id: str, started_at: datetime) -> tuple[CallRecorder, str]:
        """A recorder for a new call and the URL its recording will have."""
        ...

    def finish(self, recorder: CallRecorder, url: str) -> str:
        """Mix and store a finished call's recording (blocking); returns its URL."""
        ...

    def delete(self, url: str) -> bool:
        """Remove one recording; False if it is not one of ours."""
        ...

    def read(self, url: str) -> bytes | None:
        """One recording's WAV (blocking); None if it is not one of ours or is gone."""
        ...

    def recover(self, url_of: dict[str, str]) -> list[str]:
        """Finish the raw files a crash left behind (session id -> recording URL)."""
        ...


#: What a call id may look like to become part of a file name: Twilio's CA... sids, our VS... ids.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_id(session_id: str) -> str:
    """``session_id`` if it is safe as a file name (no path, no dots), else StoreError."""
    if not SAFE_ID.fullmatch(session_id):
        raise StoreError(
            "bad-session-id",
            f"call id {session_id!r} cannot name a recording: use 1-64 letters, digits, - or _",
        )
    return session_id


def _key(session_id: str, started_at: datetime) -> str:
    return f"{started_at:%Y/%m/%d}/{check_id(session_id)}.wav"


#: One thread writes every call's raw recording, in the order the calls' frames came.
_WRITER = ModelWorker("recordings")


def _raw(live: Path, session_id: str) -> CallRecorder:
    return CallRecorder(live / f"{check_id(session_id)}{RAW_SUFFIX}", _WRITER)


async def open_recorder(recorder: CallRecorder) -> None:
    """Open a call's raw file (on the writer thread). A disk that cannot take it is a
    StoreError, and nothing it made is left behind."""
    try:
        await recorder.open()
    except OSError as err:
        # What it made before the write failed (a full disk) would be left empty for ever.
        try:
            remove_raw(recorder.raw_path)
        except OSError:
            _LOGGER.exception("could not remove %s after its recording failed to start", recorder.raw_path)
        fault = storage_fault(err, f"starting the recording {recorder.raw_path}")
        assert fault is not None  # every OSError is a storage fault
        raise fault from err


def _orphans(live: Path, url_of: dict[str, str]) -> list[tuple[Path, str]]:
    """Raw files a stopped process left in ``live``, with the URL their call row names. Those
    no call row names a recording for (the disk filled as the call began, or the process died
    before the row said where its recording goes) can never be finished, and raw audio never
    outlives its call: they are removed."""
    found = []
    strays = 0
    for raw in sorted(live.glob(f"*{RAW_SUFFIX}")):
        url = url_of.get(raw.stem)
        if url is None:
            remove_raw(raw)
            strays += 1
        else:
            found.append((raw, url))
    for checked in sorted(live.glob(f"*{CHECKED_SUFFIX}")):
        if not checked.with_suffix(RAW_SUFFIX).exists():
            checked.unlink(missing_ok=True)
            strays += 1
    if strays:
        _LOGGER.warning(
            "removed %d file(s) in %s left by calls that had no recording to finish", strays, live
        )
    return found


class LocalRecordings:
    """WAV files under ``<data dir>/recordings``; a call's raw file lives in ``.live`` meanwhile."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.live = directory / ".live"

    def start(self, session_id: str, started_at: datetime) -> tuple[CallRecorder, str]:
        url = str(self.directory / _key(session_id, started_at))
        private_dir(self.directory)
        return _raw(self.live, session_id), url

    def finish(self, recorder: CallRecorder, url: str) -> str:
        return str(recorder.finish(Path(url)))

    def _path(self, url: str) -> Path | None:
        """The file ``url`` names, if it is under this directory (no other file is ours)."""
        parsed = urlparse(url)
        if parsed.scheme not in ("", "file"):
            return None
        path = Path(parsed.path).resolve()
        return path if path.is_relative_to(self.directory.resolve()) else None

    def delete(self, url: str) -> bool:
        path = self._path(url)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        return True

    def read(self, url: str) -> bytes | None:
        path = self._path(url)
        return path.read_bytes() if path is not None and path.is_file() else None

    def recover(self, url_of: dict[str, str]) -> list[str]:
        finished = []
        for raw, url in _orphans(self.live, url_of):
            finish_raw(raw, Path(url))
            finished.append(url)
        return finished


class S3Recordings:
    """Uploads each finished WAV to ``s3://bucket/recordings/YYYY/MM/DD/<call>.wav``."""

    def __init__(self, settings: RecordingSettings, work_dir: Path) -> None:
        import boto3  # only hotels that record to S3 need it loaded

        if not settings.s3_bucket:
            raise StoreError(
                "s3-not-configured", "recording.storage is s3 but S3_RECORDINGS_BUCKET is not set"
            )
        options: dict[str, Any] = {"region_name": settings.s3_region}
        if settings.s3_endpoint_url:
            options["endpoint_url"] = settings.s3_endpoint_url
        if settings.aws_access_key_id:
            options["aws_access_key_id"] = settings.aws_access_key_id
            options["aws_secret_access_key"] = settings.aws_secret_access_key
        self._client = boto3.client("s3", **options)
        self.bucket = settings.s3_bucket
        self.live = work_dir / ".live"

    def _split(self, url: str) -> tuple[str, str] | None:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or parsed.netloc != self.bucket:
            return None
        return parsed.netloc, parsed.path.lstrip("/")

    def start(self, session_id: str, started_at: datetime) -> tuple[CallRecorder, str]:
        url = f"s3://{self.bucket}/recordings/{_key(session_id, started_at)}"
        return _raw(self.live, session_id), url

    def _upload(self, wav: Path, url: str) -> None:
        target = self._split(url)
        if target is None:
            raise StoreError("s3-bad-url", f"{url} is not in bucket {self.bucket}")
        try:
            self._client.upload_file(
                str(wav), target[0], target[1], ExtraArgs={"ContentType": "audio/wav"}
            )
        except Exception as err:  # botocore raises ClientError, EndpointConnectionError, ...
            raise StoreError(
                "s3-upload-failed", f"could not upload the recording to {url}: {err}"
            ) from err

    def _mix_and_upload(self, raw: Path, url: str) -> None:
        # The raw file is removed only once the bucket has the recording.
        with tempfile.TemporaryDirectory(prefix="appliance-recording-") as tmp:
            self._upload(finish_raw(raw, Path(tmp) / "call.wav", remove=False), url)
        remove_raw(raw)

    def finish(self, recorder: CallRecorder, url: str) -> str:
        recorder.finish_writing()
        self._mix_and_upload(recorder.raw_path, url)
        return url

    def delete(self, url: str) -> bool:
        target = self._split(url)
        if target is None:
            return False
        try:
            self._client.delete_object(Bucket=target[0], Key=target[1])
        except Exception as err:
            raise StoreError("s3-delete-failed", f"could not delete {url}: {err}") from err
        return True

    def read(self, url: str) -> bytes | None:
        target = self._split(url)
        if target is None:
            return None
        try:
            answer = self._client.get_object(Bucket=target[0], Key=target[1])
            return bytes(answer["Body"].read())
        except self._client.exceptions.NoSuchKey:
            return None
        except Exception as err:  # botocore raises ClientError, EndpointConnectionError, ...
            raise StoreError("s3-read-failed", f"could not fetch {url}: {err}") from err

    def recover(self, url_of: dict[str, str]) -> list[str]:
        finished = []
        for raw, url in _orphans(self.live, url_of):
            self._mix_and_upload(raw, url)
            finished.append(url)
        return finished


def open_recordings(settings: RecordingSettings, data_dir: Path) -> Recordings | None:
    """The configured recording storage, or None when recording is off."""
    if not settings.enabled:
        return None
    directory = data_dir / "recordings"
    if settings.storage == "s3":
        return S3Recordings(settings, directory)
    return LocalRecordings(directory)
