// counter_js: the seed's MyApp.Counter in JavaScript, with the protocol of
// the Rust `counter`:
// - init args {"initial_value": N}; 0 when absent or null.
// - call "increment" → the new value; "get" → the value; {"add": N} → the
//   new value. Cast "increment".
// - get-state {"value": N}; code-change takes {"value": N} from any build,
//   and refuses anything else; terminate logs `terminate: <reason>`.
// vsn 1.0.0; the v3 build (counter_js_v3.wasm) is 3.0.0, for upgrades from
// and to other languages.

import { GenServer, Stop, log, serve } from "overseer";
import { VARIANT } from "./variant.js";

class Counter extends GenServer {
  static vsn = VARIANT === "v3" ? "3.0.0" : "1.0.0";

  init(args) {
    this.value = args?.initial_value ?? 0;
  }

  handleCall(request, from) {
    if (request === "increment") this.value += 1;
    else if (request === "get");
    else if (request !== null && typeof request === "object" && "add" in request) this.value += request.add;
    else return new Stop(`unknown call ${JSON.stringify(request)}`);
    return this.value;
  }

  handleCast(msg) {
    if (msg !== "increment") return new Stop(`unknown cast ${JSON.stringify(msg)}`);
    this.value += 1;
  }

  codeChange(change, state, extra) {
    // As the Rust counter's serde does: a state without an integer "value"
    // is refused, and the upgrade is abandoned.
    if (!Number.isInteger(state?.value)) throw new Error(`counter_js: not a counter's state: ${JSON.stringify(state)}`);
    this.value = state.value;
  }

  terminate(reason) {
    log.info(`terminate: ${reason}`);
  }
}

export const server = serve(Counter);
