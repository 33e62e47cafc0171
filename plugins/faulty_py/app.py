"""faulty_py: the Rust ``faulty`` in Python, with its protocol, for the
behaviour suite over every language.

- init args, all optional: ``{"fail_init": true}`` → init stops with
  ``error("init failed on purpose")``; ``{"ignore": true}`` → ignore;
  ``{"trap_exit": true}`` → traps exits; ``{"terminate_ms": N}`` →
  terminate sleeps N ms.
- call ``"ping"`` → ``"pong"`` (counted in the state).
- call or cast ``{"crash": K}``, in Python's terms: ``"trap"`` (``os.abort``,
  a wasm trap), ``"panic"`` (raises ``RuntimeError("faulty: asked to
  panic")``), ``"div_zero"`` (``ZeroDivisionError``), ``"loop"`` (never
  returns), ``"oom"`` (keeps 1 MiB allocations until the memory limit),
  ``"stack"`` (unbounded recursion: Python's ``RecursionError``).
- call ``{"stop": R}`` → stops with R (``"normal"``, ``"shutdown"``, else an
  error) replying ``"stopping"``; cast ``{"stop": R}`` likewise.
- call ``{"sleep_ms": N}`` → ``"slept"`` after N ms, a deferred reply.
- call ``{"config": KEY}`` → the application env value, or null.
- call ``"config_changes"`` → every config-change heard, as ``[{"changed":
  {KEY: VALUE}, "removed": [KEY]}]``; a config-change that changes ``crash``
  crashes the way ``{"crash": K}`` does.
- terminate logs ``terminate: <reason>`` first. get-state ``{"pings": N}``.
"""

import os
import time

from overseer import Caller, GenServer, Ignore, NoReply, Stop, config, log, reply, send_after, serve, trap_exit


def crash(how):
    if how == "trap":
        os.abort()
    if how == "panic":
        raise RuntimeError("faulty: asked to panic")
    if how == "div_zero":
        return 1 // int("0")
    if how == "loop":
        spins = 0
        while True:
            spins += 1
    if how == "oom":
        chunks = []
        while True:
            chunks.append(bytearray(b"\xa5") * (1 << 20))
    if how == "stack":
        return recurse(0)
    return Stop(f"unknown crash kind {how!r}")


def recurse(depth):
    return recurse(depth + 1) + 1


class Faulty(GenServer):
    vsn = "1.0.0"
    _terminate_ms = None
    _config_changes = None

    def init(self, args):
        args = args or {}
        if args.get("fail_init"):
            return Stop("init failed on purpose")
        if args.get("ignore"):
            return Ignore()
        if args.get("trap_exit"):
            trap_exit(True)
        self.pings = 0
        self._terminate_ms = args.get("terminate_ms")

    def handle_call(self, request, caller):
        if request == "ping":
            self.pings += 1
            return "pong"
        if request == "config_changes":
            return self._config_changes or []
        if not isinstance(request, dict) or len(request) != 1:
            return Stop(f"unknown call {request!r}")
        (op, arg), = request.items()
        if op == "crash":
            return crash(arg)
        if op == "stop":
            return Stop(arg, reply="stopping")
        if op == "sleep_ms":
            send_after({"wake": caller.to_json()}, arg)
            return NoReply()
        if op == "config":
            return config(arg)
        return Stop(f"unknown call {request!r}")

    def handle_cast(self, msg):
        if isinstance(msg, dict) and "crash" in msg:
            return crash(msg["crash"])
        if isinstance(msg, dict) and "stop" in msg:
            return Stop(msg["stop"])
        return Stop(f"unknown cast {msg!r}")

    def handle_info(self, msg):
        if isinstance(msg, dict) and "wake" in msg:
            reply(Caller.from_json(msg["wake"]), "slept")

    def config_change(self, changed, removed):
        if "crash" in changed:
            crash(changed["crash"])
        self._config_changes = (self._config_changes or []) + [{"changed": changed, "removed": removed}]

    def terminate(self, reason):
        log.info(f"terminate: {reason}")
        if self._terminate_ms:
            time.sleep(self._terminate_ms / 1000)


Server = serve(Faulty)
