"""Self-hosted voice front desk for hotels."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("appliance")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["SessionManager", "__version__"]


def __getattr__(name: str) -> object:
    # `from appliance import SessionManager`, as the hotel's earlier module was used, without
    # making every `import appliance` load the database.
    if name == "SessionManager":
        from appliance.sessions import SessionManager

        return SessionManager
    raise AttributeError(f"module 'appliance' has no attribute {name!r}")
