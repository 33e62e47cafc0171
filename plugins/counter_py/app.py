"""counter_py: the seed's MyApp.Counter in Python, with the protocol of the
Rust ``counter``:

- init args ``{"initial_value": N}``; 0 when absent or null.
- call ``"increment"`` → the new value; ``"get"`` → the value;
  ``{"add": N}`` → the new value. Cast ``"increment"``.
- get-state ``{"value": N}``; code-change takes ``{"value": N}`` from any
  build, and refuses anything else; terminate logs ``terminate: <reason>``.

vsn 1.0.0; the ``v2`` build (counter_py_v2.wasm) is 2.0.0, for upgrades
from and to other languages.
"""

from _variant import VARIANT
from overseer import GenServer, Stop, log, serve


class Counter(GenServer):
    vsn = "2.0.0" if VARIANT == "v2" else "1.0.0"

    def init(self, args):
        self.value = (args or {}).get("initial_value", 0)

    def handle_call(self, request, caller):
        if request == "increment":
            self.value += 1
        elif request == "get":
            pass
        elif isinstance(request, dict) and "add" in request:
            self.value += request["add"]
        else:
            return Stop(f"unknown call {request!r}")
        return self.value

    def handle_cast(self, msg):
        if msg != "increment":
            return Stop(f"unknown cast {msg!r}")
        self.value += 1

    def code_change(self, change, state, extra):
        # As the Rust counter's serde does: a state without a number
        # "value" is refused, and the upgrade is abandoned.
        if not isinstance(state, dict) or type(state.get("value")) is not int:
            raise ValueError(f"counter_py: not a counter's state: {state!r}")
        self.value = state["value"]

    def terminate(self, reason):
        log.info(f"terminate: {reason}")


Server = serve(Counter)
