// novsn_js: a test fixture, a GenServer that does not say its vsn (and,
// built as novsn_js_bad.wasm, one whose vsn is not a version). The host
// refuses both at load.

import { GenServer, serve } from "overseer";
import { VARIANT } from "./variant.js";

class NoVsn extends GenServer {
  init() {}
}

if (VARIANT === "bad") NoVsn.vsn = "1.0 beta\nERROR forged";

export const server = serve(NoVsn);
