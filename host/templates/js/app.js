// {{name}}: a counter to start from. Call "increment", "get" or
// {"add": N}; cast "increment"; init args {"initial_value": N}.

import { GenServer, Stop, log, serve } from "overseer";

class Counter extends GenServer {
  static vsn = "0.1.0";

  init(args) {
    this.value = args?.initial_value ?? 0;
  }

  handleCall(request, from) {
    if (request === "increment") this.value += 1;
    else if (request?.add !== undefined) this.value += request.add;
    else if (request !== "get") return new Stop(`unknown call ${JSON.stringify(request)}`);
    return this.value;
  }

  handleCast(msg) {
    this.value += 1;
  }

  terminate(reason) {
    log.info(`terminate: ${reason}`);
  }
}

export const server = serve(Counter);
