// badimport_js: a test fixture, a GenServer in JavaScript whose world also
// imports an interface the host does not provide. The host refuses it at
// load.

import { GenServer, serve } from "overseer";

class Counter extends GenServer {
  static vsn = "1.0.0";
  init() {
    this.value = 0;
  }
}

export const server = serve(Counter);
