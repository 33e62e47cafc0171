"""Lines to the host's log, tagged with this process (the host escapes
them, cuts long ones and caps the rate)."""

from wit_world.imports import host as wit_host
from wit_world.imports.types import LogLevel


def trace(msg: str) -> None:
    """A trace line."""
    wit_host.log(LogLevel.TRACE, str(msg))


def debug(msg: str) -> None:
    """A debug line."""
    wit_host.log(LogLevel.DEBUG, str(msg))


def info(msg: str) -> None:
    """An info line."""
    wit_host.log(LogLevel.INFO, str(msg))


def warn(msg: str) -> None:
    """A warning line."""
    wit_host.log(LogLevel.WARN, str(msg))


def error(msg: str) -> None:
    """An error line."""
    wit_host.log(LogLevel.ERROR, str(msg))
