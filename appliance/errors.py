"""One error type per stage, each with a stable code that logs and call rows can carry."""

from __future__ import annotations


class ApplianceError(Exception):
    """An error the appliance can name: a stable ``code`` and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ApplianceError):
    """The configuration file or the environment holds something the appliance cannot use."""


class ModelError(ApplianceError):
    """A model file is missing, corrupt, or failed to load."""


class SttError(ApplianceError):
    """Speech-to-text failed."""


class LlmError(ApplianceError):
    """The language model failed."""


class TtsError(ApplianceError):
    """Text-to-speech failed."""


class StoreError(ApplianceError):
    """The database cannot be opened, read or written."""


class ToolError(ApplianceError):
    """A tool was unknown, got bad arguments, or failed."""


class ChannelError(ApplianceError):
    """A channel received something it cannot use (a malformed frame, a bad signature)."""


class ServerError(ApplianceError):
    """The server cannot start or serve."""


class SyncError(ApplianceError):
    """Analytics could not be delivered to the cloud destination."""


class SessionError(ApplianceError):
    """A session operation named something that does not exist or is not allowed."""
