"""{{name}}: a counter to start from. Call "increment", "get" or
{"add": N}; cast "increment"; init args {"initial_value": N}."""

from overseer import GenServer, Stop, log, serve


class Counter(GenServer):
    vsn = "0.1.0"

    def init(self, args):
        self.value = (args or {}).get("initial_value", 0)

    def handle_call(self, request, caller):
        if request == "increment":
            self.value += 1
        elif isinstance(request, dict) and "add" in request:
            self.value += request["add"]
        elif request != "get":
            return Stop(f"unknown call {request!r}")
        return self.value

    def handle_cast(self, msg):
        self.value += 1

    def terminate(self, reason):
        log.info(f"terminate: {reason}")


Server = serve(Counter)
