"""Every import of the ``overseer:plugin`` world, with JSON in and out:
messaging, timers, links and monitors, names, registries, pools, tasks,
supervisors, the application's configuration. A refusal from the host (a
capability not granted, a quota reached) is raised as ``HostError`` or
``CallError`` with the host's one line."""

import json
from typing import Any, List, Optional, Tuple, Union

from componentize_py_types import Err
from wit_world.imports import host as wit_host
from wit_world.imports import types as wit

from .results import Caller, ExitReason, timeout_to_wit


class HostError(Exception):
    """The host refused a request and said why in one line (``not
    permitted: …``, ``pool 'x' is full``, ``max_children reached (10)``)."""


class CallError(Exception):
    """A message or call to another process did not get through.
    ``kind`` is one of ``noproc``, ``timeout``, ``exited``,
    ``calling_self``, ``refused``; ``detail`` the exit reason or the host's
    line."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


# One encoder and one decoder for every message: json.dumps with options
# builds a new encoder each time, and json.loads sniffs the encoding of
# bytes; each costs microseconds per message in wasm.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder()


def encode(value: Any) -> bytes:
    """A value as the JSON payload every process understands."""
    # Numbers and plain words, most replies, skip the encoder.
    if type(value) is int:
        return str(value).encode()
    if type(value) is str and value.isalnum() and value.isascii():
        return b'"' + value.encode() + b'"'
    return _ENCODER.encode(value).encode()


def decode(payload: bytes) -> Any:
    """A JSON payload as a value (``ValueError`` if it is not JSON)."""
    # A plain word in quotes, most requests ("increment"), skips the decoder.
    if len(payload) > 2 and payload[0] == 34 and payload[-1] == 34:
        inner = payload[1:-1]
        if inner.isalnum() and inner.isascii():
            return inner.decode()
    return _DECODER.decode(payload.decode("utf-8"))


Target = Union[int, str, Tuple[str, str]]
"""A pid, a registered name, or ``(registry, key)``."""


def _target(to: Target) -> wit.Target:
    if isinstance(to, bool):
        raise TypeError("a target is a pid, a name or (registry, key)")
    if isinstance(to, int):
        return wit.Target_Pid(to)
    if isinstance(to, str):
        return wit.Target_Name(to)
    registry, key = to
    return wit.Target_Via((registry, key))


def _call_error(err: Err) -> CallError:
    value = err.value
    if isinstance(value, wit.CallError_Noproc):
        return CallError("noproc")
    if isinstance(value, wit.CallError_Timeout):
        return CallError("timeout")
    if isinstance(value, wit.CallError_Exited):
        return CallError("exited", str(ExitReason.from_wit(value.value)))
    if isinstance(value, wit.CallError_CallingSelf):
        return CallError("calling_self")
    return CallError("refused", str(value.value))


def _host_error(err: Err) -> HostError:
    return HostError(str(err.value))


# ----- this process -----


def self_pid() -> int:
    """This process's pid."""
    return wit_host.self_pid()


def trap_exit(enabled: bool) -> None:
    """Trap exits: linked exits arrive as ``Exit`` infos, and a shutdown
    runs ``terminate`` first."""
    wit_host.trap_exit(enabled)


def config(key: str) -> Any:
    """The application's ``[app.env]`` value under ``key`` (if this plugin
    is granted it), or None."""
    raw = wit_host.config(key)
    return None if raw is None else decode(raw)


# ----- timers and replies -----


def send_after(msg: Any, ms: int) -> int:
    """Deliver ``msg`` to this process's ``handle_info`` after ``ms``
    milliseconds; the timer's reference."""
    return wit_host.send_after(encode(msg), ms)


def cancel_timer(timer: int) -> bool:
    """Cancel a timer; True if it had not fired."""
    return wit_host.cancel_timer(timer)


def reply(to: Caller, value: Any) -> None:
    """Answer a call that ``handle_call`` returned ``NoReply()`` for."""
    wit_host.reply(wit.Caller(pid=to.pid, tag=to.tag), encode(value))


# ----- messaging -----


def whereis(name: str) -> Optional[int]:
    """The pid registered under ``name``, if alive."""
    return wit_host.whereis(name)


def send(to: Target, msg: Any) -> None:
    """A plain message to ``to``'s ``handle_info``."""
    try:
        wit_host.send(_target(to), encode(msg))
    except Err as err:
        raise _call_error(err) from None


def cast(to: Target, msg: Any) -> None:
    """A cast to ``to``'s ``handle_cast``."""
    try:
        wit_host.cast(_target(to), encode(msg))
    except Err as err:
        raise _call_error(err) from None


def call(to: Target, request: Any, timeout_ms: Optional[int] = 5000) -> Any:
    """Call ``to`` and wait for its reply (None: wait for ever)."""
    try:
        return decode(wit_host.call(_target(to), encode(request), timeout_to_wit(timeout_ms)))
    except Err as err:
        raise _call_error(err) from None


def monitor(pid: int) -> int:
    """Monitor ``pid``: a ``Down`` info when it exits. The reference."""
    return wit_host.monitor(pid)


def demonitor(monitor_ref: int) -> bool:
    """Stop a monitor; True if it was active."""
    return wit_host.demonitor(monitor_ref)


def link(pid: int) -> None:
    """Link this process and ``pid``."""
    try:
        wit_host.link(pid)
    except Err as err:
        raise _call_error(err) from None


def unlink(pid: int) -> None:
    """Remove a link, if any."""
    wit_host.unlink(pid)


def register(name: str) -> None:
    """Register this process under ``name``."""
    try:
        wit_host.register(name)
    except Err as err:
        raise _host_error(err) from None


def unregister(name: str) -> bool:
    """Release ``name``; True if this process held it."""
    return wit_host.unregister(name)


# ----- registries -----


def registry_register(registry: str, key: str, value: Any = None) -> None:
    """Register this process under ``key`` in ``registry`` with ``value``."""
    try:
        wit_host.registry_register(registry, key, encode(value))
    except Err as err:
        raise _host_error(err) from None


def registry_unregister(registry: str, key: str) -> None:
    """Remove this process's entries under ``key``."""
    wit_host.registry_unregister(registry, key)


def registry_lookup(registry: str, key: str) -> List[Tuple[int, Any]]:
    """The entries under ``key``: (pid, value), oldest first."""
    return [(pid, decode(value)) for pid, value in wit_host.registry_lookup(registry, key)]


def registry_dispatch(registry: str, key: str, msg: Any) -> int:
    """Send ``msg`` to every process under ``key``; how many."""
    return wit_host.registry_dispatch(registry, key, encode(msg))


def registry_count(registry: str) -> int:
    """How many entries ``registry`` holds."""
    return wit_host.registry_count(registry)


def registry_meta(registry: str, key: str) -> Any:
    """The registry's metadata under ``key``, or None."""
    raw = wit_host.registry_meta(registry, key)
    return None if raw is None else decode(raw)


def registry_put_meta(registry: str, key: str, value: Any) -> None:
    """Set the registry's metadata under ``key``."""
    wit_host.registry_put_meta(registry, key, encode(value))


# ----- pools -----


def pool_checkout(pool: str, block: bool = True, timeout_ms: int = 5000) -> int:
    """Check a worker out of ``pool``: its pid."""
    try:
        return wit_host.pool_checkout(pool, block, timeout_ms)
    except Err as err:
        raise _host_error(err) from None


def pool_checkin(pool: str, worker: int) -> None:
    """Give a worker back."""
    wit_host.pool_checkin(pool, worker)


def pool_transaction(pool: str, request: Any, timeout_ms: int = 5000) -> Any:
    """Check a worker out, call it with ``request``, check it back in."""
    try:
        return decode(wit_host.pool_transaction(pool, encode(request), timeout_ms))
    except Err as err:
        raise _host_error(err) from None


# ----- tasks -----


def task_start_child(sup: Target, plugin: str, input: Any) -> int:
    """Start a task, fire and forget: its pid."""
    try:
        return wit_host.task_start_child(_target(sup), plugin, encode(input))
    except Err as err:
        raise _host_error(err) from None


def task_async(sup: Target, plugin: str, input: Any, link: bool = True) -> int:
    """Start a task to ``task_await``: its pid."""
    try:
        return wit_host.task_async(_target(sup), plugin, encode(input), link)
    except Err as err:
        raise _host_error(err) from None


def task_await(task: int, timeout_ms: int = 5000) -> Any:
    """The result of a task started with ``task_async``."""
    try:
        return decode(wit_host.task_await(task, timeout_ms))
    except Err as err:
        raise _host_error(err) from None


# ----- supervisors -----


def start_child(sup: Target, spec: dict) -> Optional[int]:
    """Start a child under ``sup`` from a child spec (``{"plugin", "args",
    "id", "name", "restart", "shutdown", "limits"}``): its pid, or None if
    its init ignored."""
    try:
        return wit_host.start_child(_target(sup), encode(spec))
    except Err as err:
        raise _host_error(err) from None


def terminate_child(sup: Target, child: int) -> None:
    """Stop child ``child`` of ``sup`` and forget it."""
    try:
        wit_host.terminate_child(_target(sup), child)
    except Err as err:
        raise _host_error(err) from None


def terminate_child_by_id(sup: Target, id: str) -> None:
    """Stop static supervisor ``sup``'s child ``id``, keeping its spec
    (OTP's ``terminate_child(Sup, Id)``). Raises ``HostError("not_found")``."""
    try:
        wit_host.terminate_child_by_id(_target(sup), id)
    except Err as err:
        raise _host_error(err) from None


def restart_child(sup: Target, id: str):
    """Start static supervisor ``sup``'s stopped child ``id`` again (OTP's
    ``restart_child``): its pid, or None if init returned ignore. Raises
    ``HostError`` with ``running``, ``restarting`` or ``not_found``."""
    try:
        return wit_host.restart_child(_target(sup), id)
    except Err as err:
        raise _host_error(err) from None


def delete_child(sup: Target, id: str) -> None:
    """Forget static supervisor ``sup``'s stopped child ``id`` (OTP's
    ``delete_child``). Raises ``HostError`` with ``running``,
    ``restarting`` or ``not_found``."""
    try:
        wit_host.delete_child(_target(sup), id)
    except Err as err:
        raise _host_error(err) from None


def which_children(sup: Target) -> list:
    """``sup``'s children: ``[{"id", "pid", "type", "status", "restarts"}]``."""
    try:
        return decode(wit_host.which_children(_target(sup)))
    except Err as err:
        raise _host_error(err) from None


def count_children(sup: Target) -> dict:
    """``sup``'s counts: ``{"specs", "active", "supervisors", "workers"}``."""
    try:
        return decode(wit_host.count_children(_target(sup)))
    except Err as err:
        raise _host_error(err) from None
