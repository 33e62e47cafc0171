// The GenServer base class, and the adapter from the world's `server`
// export to it: payloads decoded from JSON and encoded back, the state kept
// between callbacks, results turned into the world's variants.

import { encode } from "./host.js";
import {
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
  caller,
  timeoutToWit,
} from "./results.js";
import { decodeUtf8 } from "./utf8.js";

/**
 * A process's code: extend it, set `static vsn` (required), override the callbacks you
 * need. The instance is the state; messages arrive decoded from JSON and
 * replies are encoded to JSON. A thrown error is a crash: the process
 * exits, the supervisor decides, and the report carries the error and its
 * stack.
 */
export class GenServer {
  /** Start from the child spec's `args` (null when absent). Return nothing to start, or `new Continue(ms)`, `new Ignore()`, `new Stop(reason)`. */
  init(args) {}

  /** A call: return the reply (or a `Reply`, `NoReply`, `Stop`). */
  handleCall(request, from) {
    return new Stop(`unexpected call ${JSON.stringify(request)}`);
  }

  /** A cast: return nothing (or `NoReply`, `Stop`). */
  handleCast(msg) {
    return new Stop(`unexpected cast ${JSON.stringify(msg)}`);
  }

  /** A plain message (decoded), or a `Timeout`, `Down`, `Exit`: as `handleCast`. Ignored by default. */
  handleInfo(msg) {}

  /** The process is stopping with `reason` (an `ExitReason`). */
  terminate(reason) {}

  /** The state as JSON, for inspection and upgrades: the instance's own fields by default. */
  getState() {
    return Object.fromEntries(Object.entries(this).filter(([k]) => !k.startsWith("_")));
  }

  /** Take over `state`, made by `getState` of build `change.vsn`, on a fresh instance (`init` is not called). By default its keys become fields. Throw to refuse the upgrade. */
  codeChange(change, state, extra) {
    if (state === null || typeof state !== "object" || Array.isArray(state)) {
      throw new Error(`state is not an object: ${JSON.stringify(state)}`);
    }
    Object.assign(this, state);
  }

  /** The application's env changed while it ran (`overseer config set`), as OTP's `config_change/3`: `changed` maps each key added or changed to its new value, `removed` lists the keys that are gone (only keys this plugin may read). `config` returns the new values from now on. Does nothing by default. */
  configChange(changed, removed) {}
}

const MAX_PREVIEW = 200;

class Undecodable extends Error {}

function decodeAs(what, payload) {
  const text = decodeUtf8(payload);
  try {
    return JSON.parse(text);
  } catch (err) {
    const preview = text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW)}… (${payload.length} bytes)` : text;
    throw new Undecodable(`cannot decode ${what}: ${err.message} in ${preview}`);
  }
}

const stop = (reason) => ({ tag: "stop", val: reason.toWit() });

// The bindings only read what callbacks return: one of each constant will do.
const INFINITY = { tag: "infinity" };
const CARRY_ON = { tag: "noreply", val: INFINITY };

function castResult(result) {
  if (result === undefined || result === null) return CARRY_ON;
  if (result instanceof NoReply) return { tag: "noreply", val: timeoutToWit(result.timeoutMs) };
  if (result instanceof Stop) return stop(result.reason);
  return stop(ExitReason.error(`handleCast/handleInfo returned ${JSON.stringify(result)}, not nothing, NoReply or Stop`));
}

function callResult(result) {
  if (result instanceof NoReply) return { tag: "noreply", val: timeoutToWit(result.timeoutMs) };
  if (result instanceof Stop) {
    return { tag: "stop", val: [result.reason.toWit(), result.hasReply() ? encode(result.reply) : null] };
  }
  if (result instanceof Reply) return { tag: "reply", val: [encode(result.value), timeoutToWit(result.timeoutMs)] };
  return { tag: "reply", val: [encode(result), INFINITY] };
}

function info(msg) {
  if (msg.tag === "message") return decodeAs("info", msg.val);
  if (msg.tag === "timeout") return new Timeout();
  if (msg.tag === "down") return new Down(msg.val.monitor, msg.val.pid, ExitReason.fromWit(msg.val.reason));
  return new Exit(msg.val.from, ExitReason.fromWit(msg.val.reason));
}

/**
 * A crash keeps the error's type in its message, so that the host's exit
 * reason reads `exception: TypeError: …`; its stack goes with it.
 */
function crashing(f) {
  try {
    return f();
  } catch (err) {
    if (err instanceof Undecodable) throw err;
    if (err instanceof Error) {
      err.message = `${err.name}: ${err.message}`;
      throw err;
    }
    throw new Error(`uncaught ${typeof err}: ${String(err)}`);
  }
}

/**
 * The object componentize-qjs exports for the `server` interface, running
 * `cls` (a GenServer subclass). A plugin's module ends with
 * `export const server = serve(MyServer);`.
 */
export function serve(cls) {
  // A wasm instance runs one callback at a time: one state per module.
  let state = null;
  const current = (callback) => {
    if (state === null) throw new Error(`${callback} called before init succeeded: the process has no state`);
    return state;
  };
  return {
    vsn() {
      // Required: the host refuses a build without one at load.
      return String(cls.vsn ?? "");
    },
    init(args) {
      let decoded;
      try {
        decoded = args.length ? decodeAs("init args", args) : null;
      } catch (err) {
        return { tag: "stop", val: ExitReason.error(err.message).toWit() };
      }
      const server = new cls();
      const result = crashing(() => server.init(decoded));
      if (result instanceof Ignore) {
        state = null;
        return { tag: "ignore" };
      }
      if (result instanceof Stop) {
        state = null;
        return { tag: "stop", val: result.reason.toWit() };
      }
      state = server;
      return { tag: "ok", val: timeoutToWit(result instanceof Continue ? result.timeoutMs : null) };
    },
    handleCall(request, from) {
      let decoded;
      try {
        decoded = decodeAs("call", request);
      } catch (err) {
        return { tag: "stop", val: [ExitReason.error(err.message).toWit(), null] };
      }
      return callResult(crashing(() => current("handleCall").handleCall(decoded, caller(from.pid, from.tag))));
    },
    handleCast(msg) {
      let decoded;
      try {
        decoded = decodeAs("cast", msg);
      } catch (err) {
        return stop(ExitReason.error(err.message));
      }
      return castResult(crashing(() => current("handleCast").handleCast(decoded)));
    },
    handleInfo(msg) {
      let decoded;
      try {
        decoded = info(msg);
      } catch (err) {
        return stop(ExitReason.error(err.message));
      }
      return castResult(crashing(() => current("handleInfo").handleInfo(decoded)));
    },
    terminate(reason) {
      if (state !== null) crashing(() => state.terminate(ExitReason.fromWit(reason)));
    },
    getState() {
      return state === null ? encode(null) : encode(crashing(() => state.getState()));
    },
    codeChange(from, oldState, extra) {
      const change = new VsnChange(from.val, from.tag === "downgrade");
      const server = Object.create(cls.prototype);
      try {
        server.codeChange(change, decodeAs("state", oldState), extra.length ? decodeAs("extra", extra) : null);
      } catch (err) {
        // Any refusal leaves the old build serving.
        throw err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      state = server;
    },
    configChange(changed, removed) {
      if (state === null) return;
      const values = Object.fromEntries(changed.map(([key, value]) => [key, decodeAs("config value", value)]));
      crashing(() => state.configChange(values, [...removed]));
    },
  };
}
