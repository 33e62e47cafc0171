"""The GenServer base class, and the adapter from the world's ``server``
export to it: payloads decoded from JSON and encoded back, the state kept
between callbacks, results turned into the world's variants."""

from typing import Any

from wit_world import exports
from wit_world.imports import types as wit

from .host import decode, encode
from .results import (
    Caller,
    Continue,
    Down,
    Exit,
    ExitReason,
    Ignore,
    NoReply,
    Reply,
    Stop,
    Timeout,
    VsnChange,
    timeout_to_wit,
)


class GenServer:
    """A process's code: subclass it, set ``vsn``, override the callbacks
    you need. The instance is the state; messages arrive decoded from JSON
    and replies are encoded to JSON.

    A raised exception is a crash: the process exits, the supervisor
    decides, and the report carries the traceback."""

    vsn: str = ""
    """The build's version (``"1.0.0"``), given to the next build's
    ``code_change``. Required: a build without one is refused at load."""

    def init(self, args: Any) -> Any:
        """Start from the child spec's ``args`` (None when absent). Return
        None to start, ``Continue(timeout_ms)``, ``Ignore()`` or
        ``Stop(reason)``."""
        return None

    def handle_call(self, request: Any, caller: Caller) -> Any:
        """A call: return the reply (or ``Reply``, ``NoReply``, ``Stop``)."""
        return Stop(f"unexpected call {request!r}")

    def handle_cast(self, msg: Any) -> Any:
        """A cast: return None (or ``NoReply(timeout_ms)``, ``Stop``)."""
        return Stop(f"unexpected cast {msg!r}")

    def handle_info(self, msg: Any) -> Any:
        """A plain message (decoded), or ``Timeout()``, ``Down``, ``Exit``:
        return as ``handle_cast``. Ignored by default."""
        return None

    def terminate(self, reason: ExitReason) -> None:
        """The process is stopping with ``reason``."""

    def get_state(self) -> Any:
        """The state as JSON, for inspection and upgrades: the instance's
        public attributes by default."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def code_change(self, change: VsnChange, state: Any, extra: Any) -> None:
        """Take over ``state``, made by ``get_state`` of build
        ``change.vsn``, on a fresh instance (``init`` is not called). By
        default its keys become attributes. Raise to refuse the upgrade."""
        if not isinstance(state, dict):
            raise ValueError(f"state is not an object: {state!r}")
        self.__dict__.update(state)

    def config_change(self, changed: dict, removed: list) -> None:
        """The application's env changed while it ran (``overseer config
        set``), as OTP's ``config_change/3``: ``changed`` maps each key
        added or changed to its new value, ``removed`` lists the keys that
        are gone (only keys this plugin may read). ``config`` returns the
        new values from now on. Does nothing by default."""


_MAX_PREVIEW = 200


def _preview(payload: bytes) -> str:
    text = payload.decode("utf-8", "replace")
    if len(text) > _MAX_PREVIEW:
        return f"{text[:_MAX_PREVIEW]}… ({len(payload)} bytes)"
    return text


class _Undecodable(Exception):
    def __init__(self, what: str, payload: bytes, err: Exception):
        super().__init__(f"cannot decode {what}: {err} in {_preview(payload)}")


def _decode(what: str, payload: bytes) -> Any:
    try:
        return decode(payload)
    except ValueError as err:
        raise _Undecodable(what, payload, err) from None


# The bindings only read what callbacks return: one of each constant will do.
_INFINITY = wit.Timeout_Infinity()
_CARRY_ON = wit.CastResult_Noreply(_INFINITY)


def _stop(reason: ExitReason) -> wit.CastResult:
    return wit.CastResult_Stop(reason.to_wit())


def _cast_result(result: Any) -> wit.CastResult:
    if result is None:
        return _CARRY_ON
    if isinstance(result, NoReply):
        return wit.CastResult_Noreply(timeout_to_wit(result.timeout_ms))
    if isinstance(result, Stop):
        return _stop(result.reason)
    return _stop(ExitReason.error(f"handle_cast/handle_info returned {result!r}, not None, NoReply or Stop"))


def _call_result(result: Any) -> wit.CallResult:
    if isinstance(result, NoReply):
        return wit.CallResult_Noreply(timeout_to_wit(result.timeout_ms))
    if isinstance(result, Stop):
        reply = encode(result.reply) if result.has_reply() else None
        return wit.CallResult_Stop((result.reason.to_wit(), reply))
    if isinstance(result, Reply):
        return wit.CallResult_Reply((encode(result.value), timeout_to_wit(result.timeout_ms)))
    return wit.CallResult_Reply((encode(result), _INFINITY))


def _info(msg: wit.Info) -> Any:
    if isinstance(msg, wit.Info_Message):
        return _decode("info", msg.value)
    if isinstance(msg, wit.Info_Timeout):
        return Timeout()
    if isinstance(msg, wit.Info_Down):
        down = msg.value
        return Down(down.monitor, down.pid, ExitReason.from_wit(down.reason))
    exit_signal = msg.value
    return Exit(exit_signal.from_, ExitReason.from_wit(exit_signal.reason))


def serve(cls: type) -> type:
    """The class componentize-py exports for the ``server`` interface,
    running ``cls`` (a ``GenServer`` subclass). A plugin's module ends with
    ``Server = serve(MyServer)``."""

    # A wasm instance runs one callback at a time: one state per module.
    holder: dict = {"state": None}

    def state(callback: str) -> GenServer:
        current = holder["state"]
        if current is None:
            raise RuntimeError(f"{callback} called before init succeeded: the process has no state")
        return current

    class Server(exports.Server):
        def vsn(self) -> str:
            return str(cls.vsn)

        def init(self, args: bytes) -> wit.InitResult:
            try:
                decoded = _decode("init args", args) if args else None
            except _Undecodable as err:
                return wit.InitResult_Stop(ExitReason.error(str(err)).to_wit())
            server = cls()
            result = server.init(decoded)
            if isinstance(result, Ignore):
                holder["state"] = None
                return wit.InitResult_Ignore()
            if isinstance(result, Stop):
                holder["state"] = None
                return wit.InitResult_Stop(result.reason.to_wit())
            holder["state"] = server
            timeout_ms = result.timeout_ms if isinstance(result, Continue) else None
            return wit.InitResult_Ok(timeout_to_wit(timeout_ms))

        def handle_call(self, request: bytes, from_: wit.Caller) -> wit.CallResult:
            try:
                decoded = _decode("call", request)
            except _Undecodable as err:
                return wit.CallResult_Stop((ExitReason.error(str(err)).to_wit(), None))
            caller = Caller(from_.pid, from_.tag)
            return _call_result(state("handle_call").handle_call(decoded, caller))

        def handle_cast(self, msg: bytes) -> wit.CastResult:
            try:
                decoded = _decode("cast", msg)
            except _Undecodable as err:
                return _stop(ExitReason.error(str(err)))
            return _cast_result(state("handle_cast").handle_cast(decoded))

        def handle_info(self, msg: wit.Info) -> wit.CastResult:
            try:
                decoded = _info(msg)
            except _Undecodable as err:
                return _stop(ExitReason.error(str(err)))
            return _cast_result(state("handle_info").handle_info(decoded))

        def terminate(self, reason: wit.ExitReason) -> None:
            current = holder["state"]
            if current is not None:
                current.terminate(ExitReason.from_wit(reason))

        def get_state(self) -> bytes:
            current = holder["state"]
            return b"null" if current is None else encode(current.get_state())

        def code_change(self, from_: wit.VsnChange, old_state: bytes, extra: bytes) -> None:
            from componentize_py_types import Err

            change = VsnChange(from_.value, isinstance(from_, wit.VsnChange_Downgrade))
            server = cls.__new__(cls)
            try:
                server.code_change(change, _decode("state", old_state), _decode("extra", extra) if extra else None)
            except Exception as err:  # any refusal leaves the old build serving
                raise Err(f"{type(err).__name__}: {err}") from None
            holder["state"] = server

        def config_change(self, changed: list, removed: list) -> None:
            current = holder["state"]
            if current is not None:
                current.config_change({key: decode(value) for key, value in changed}, list(removed))

    Server.__name__ = "Server"
    Server.__qualname__ = "Server"
    return Server
