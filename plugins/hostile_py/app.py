"""hostile_py: the Rust ``hostile``'s attacks that make sense in Python,
with its protocol (see plugins/hostile), for the hostile suite: the sandbox
holds whatever the guest's language.

- call ``"ping"`` → ``"pong"``; ``"pid"`` → its pid.
- ``{"alloc_mb": N}`` allocates and touches N MiB more and keeps it
  (replies the MiB held); ``"spin"`` loops for ever.
- ``{"flood": {"to": T, "n": N, "bytes": B}}`` casts N messages of B bytes
  to T, stopping at the first refusal: ``{"sent": K, "error": null |
  "<line>"}``.
- ``{"start_child": {"sup": T, "spec": S}}``, ``{"spawn": {"sup": T,
  "spec": S, "n": N}}`` (``{"started": K, "error": …}``),
  ``{"terminate_child": {"sup": T, "pid": P}}``, ``{"which_children": T}``,
  ``{"link": P}``, ``{"link_and_crash": P}`` (links, then aborts): each
  ``{"ok": …}`` or ``{"error": "<the host's line>"}``.
"""

import os

import overseer as o
from overseer import CallError, GenServer, HostError, serve


def answer(action):
    try:
        return {"ok": action()}
    except (HostError, CallError) as err:
        return {"error": err.detail if isinstance(err, CallError) and err.detail else str(err)}


class Hostile(GenServer):
    vsn = "1.0.0"

    def init(self, args):
        self._held = []

    def handle_call(self, request, caller):
        if request == "ping":
            return "pong"
        if request == "pid":
            return o.self_pid()
        if request == "spin":
            while True:
                pass
        (op, arg), = request.items()
        if op == "alloc_mb":
            for _ in range(arg):
                self._held.append(bytearray(b"\xa5") * (1 << 20))
            return len(self._held)
        if op == "flood":
            payload = "x" * arg["bytes"]
            sent = 0
            for _ in range(arg["n"]):
                try:
                    o.cast(arg["to"], payload)
                except CallError as err:
                    return {"sent": sent, "error": err.detail or err.kind}
                sent += 1
            return {"sent": sent, "error": None}
        if op == "spawn":
            started = 0
            for _ in range(arg["n"]):
                try:
                    o.start_child(arg["sup"], arg["spec"])
                except HostError as err:
                    return {"started": started, "error": str(err)}
                started += 1
            return {"started": started, "error": None}
        if op == "start_child":
            return answer(lambda: o.start_child(arg["sup"], arg["spec"]))
        if op == "terminate_child":
            return answer(lambda: o.terminate_child(arg["sup"], arg["pid"]) or "ok")
        if op == "which_children":
            return answer(lambda: o.which_children(arg))
        if op == "link":
            return answer(lambda: o.link(arg) or "ok")
        if op == "link_and_crash":
            try:
                o.link(arg)
            except CallError as err:
                return {"error": err.detail or err.kind}
            os.abort()
        return {"error": f"unknown attack {request!r}"}


Server = serve(Hostile)
