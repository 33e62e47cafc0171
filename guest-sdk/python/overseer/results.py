"""What callbacks return and what they are given: exit reasons, replies,
stops, and the non-message infos (timeouts, downs, exits)."""

from dataclasses import dataclass
from typing import Any, Optional

from wit_world.imports import types as wit


class ExitReason:
    """Why a process exits, as OTP says it: ``normal``, ``shutdown`` and
    ``shutdown: <term>`` are clean exits (a transient child is not restarted
    after them); anything else is an error with a reason meant for people.

    ``str()`` shows it as the host does."""

    __slots__ = ("kind", "detail")

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail

    @staticmethod
    def normal() -> "ExitReason":
        """The work is done."""
        return ExitReason("normal")

    @staticmethod
    def shutdown(term: Optional[str] = None) -> "ExitReason":
        """Told to stop; with ``term``, OTP's ``{shutdown, term}``."""
        return ExitReason("shutdown") if term is None else ExitReason("shutdown_with", term)

    @staticmethod
    def error(reason: str) -> "ExitReason":
        """An abnormal exit."""
        return ExitReason("error", reason)

    @staticmethod
    def of(reason: "ExitReason | str") -> "ExitReason":
        """``"normal"`` and ``"shutdown"`` are those exits, any other text an
        error with that text."""
        if isinstance(reason, ExitReason):
            return reason
        if reason == "normal":
            return ExitReason.normal()
        if reason == "shutdown":
            return ExitReason.shutdown()
        return ExitReason.error(str(reason))

    def is_clean(self) -> bool:
        """True for normal, shutdown and shutdown with a term."""
        return self.kind != "error"

    def __str__(self) -> str:
        if self.kind == "shutdown_with":
            return f"shutdown: {self.detail}"
        if self.kind == "error":
            return self.detail
        return self.kind

    def __repr__(self) -> str:
        return f"ExitReason({self.kind!r}, {self.detail!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExitReason) and (self.kind, self.detail) == (other.kind, other.detail)

    def to_wit(self) -> wit.ExitReason:
        if self.kind == "normal":
            return wit.ExitReason_Normal()
        if self.kind == "shutdown":
            return wit.ExitReason_Shutdown()
        if self.kind == "shutdown_with":
            return wit.ExitReason_ShutdownWith(self.detail)
        return wit.ExitReason_Error(self.detail)

    @staticmethod
    def from_wit(reason: wit.ExitReason) -> "ExitReason":
        if isinstance(reason, wit.ExitReason_Normal):
            return ExitReason.normal()
        if isinstance(reason, wit.ExitReason_Shutdown):
            return ExitReason.shutdown()
        if isinstance(reason, wit.ExitReason_ShutdownWith):
            return ExitReason.shutdown(reason.value)
        return ExitReason.error(reason.value)


_NO_REPLY = object()


@dataclass
class Reply:
    """``handle_call``: answer ``value`` now; with ``timeout_ms``, get
    ``Timeout()`` in ``handle_info`` if nothing arrives meanwhile. Returning
    a plain value is ``Reply(value)``."""

    value: Any
    timeout_ms: Optional[int] = None


@dataclass
class NoReply:
    """``handle_call``: answer later with ``overseer.reply(caller, value)``.
    ``handle_cast``/``handle_info``: carry on (returning ``None`` is the
    same), with an optional timeout."""

    timeout_ms: Optional[int] = None


class Stop:
    """Stop the process with ``reason`` (an ``ExitReason`` or text:
    ``"normal"``, ``"shutdown"``, anything else is an error). From
    ``handle_call``, ``reply=`` answers the caller after ``terminate``."""

    def __init__(self, reason: "ExitReason | str", reply: Any = _NO_REPLY):
        self.reason = ExitReason.of(reason)
        self.reply = reply

    def has_reply(self) -> bool:
        return self.reply is not _NO_REPLY


@dataclass
class Ignore:
    """``init``: do not start; the supervisor keeps the child as not
    running."""


@dataclass
class Continue:
    """``init``: started, with a timeout (``Timeout()`` in ``handle_info``
    if no message arrives within ``timeout_ms``). Returning ``None`` from
    ``init`` is a start with no timeout."""

    timeout_ms: Optional[int] = None


@dataclass(frozen=True)
class Timeout:
    """``handle_info``: the timeout the last callback asked for expired."""


@dataclass(frozen=True)
class Down:
    """``handle_info``: a monitored process exited (the monitor is gone)."""

    monitor: int
    pid: int
    reason: ExitReason


@dataclass(frozen=True)
class Exit:
    """``handle_info``: a linked process exited, and this one traps exits."""

    from_pid: int
    reason: ExitReason


@dataclass(slots=True)
class Caller:
    """Who is waiting on a call: give it to ``overseer.reply`` to answer a
    call ``handle_call`` returned ``NoReply()`` for. ``pid`` is None when
    the call came from outside (the CLI, the control API)."""

    pid: Optional[int]
    tag: int

    def to_json(self) -> dict:
        """As a JSON object, to keep in the state or send in a message."""
        return {"pid": self.pid, "tag": self.tag}

    @staticmethod
    def from_json(value: dict) -> "Caller":
        return Caller(value.get("pid"), value["tag"])


@dataclass(frozen=True)
class VsnChange:
    """Where ``code_change``'s state comes from: ``vsn`` made it; on a
    downgrade (``downgrade`` true) a newer build made it."""

    vsn: str
    downgrade: bool = False

    def __str__(self) -> str:
        return f"{{down, {self.vsn}}}" if self.downgrade else self.vsn


def timeout_to_wit(timeout_ms: Optional[int]) -> wit.Timeout:
    if timeout_ms is None:
        return wit.Timeout_Infinity()
    return wit.Timeout_AfterMs(int(timeout_ms))
