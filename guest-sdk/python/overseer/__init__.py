"""Overseer's Python SDK: write a GenServer, get a wasm component that
Overseer supervises, sandboxes and upgrades live.

    from overseer import GenServer, serve, log

    class Counter(GenServer):
        vsn = "1.0.0"

        def init(self, args):
            self.value = (args or {}).get("initial_value", 0)

        def handle_call(self, request, caller):
            if request == "increment":
                self.value += 1
            return self.value

    Server = serve(Counter)

Build it with ``componentize-py -d wit -w gen-server componentize app``
(``cargo xtask build-plugins`` does it for ``plugins/*_py``)."""

from . import log
from .host import (
    CallError,
    HostError,
    call,
    cancel_timer,
    cast,
    config,
    count_children,
    decode,
    demonitor,
    encode,
    link,
    monitor,
    pool_checkin,
    pool_checkout,
    pool_transaction,
    register,
    registry_count,
    registry_dispatch,
    registry_lookup,
    registry_meta,
    registry_put_meta,
    registry_register,
    registry_unregister,
    reply,
    self_pid,
    send,
    send_after,
    start_child,
    task_async,
    task_await,
    task_start_child,
    terminate_child,
    terminate_child_by_id,
    restart_child,
    delete_child,
    trap_exit,
    unlink,
    unregister,
    whereis,
    which_children,
)
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
)
from .server import GenServer, serve

__all__ = [name for name in dir() if not name.startswith("_")]
