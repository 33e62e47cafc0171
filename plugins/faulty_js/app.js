// faulty_js: the Rust `faulty` in JavaScript, with its protocol, for the
// behaviour suite over every language.
// - init args, all optional: {"fail_init": true} → init stops with
//   error("init failed on purpose"); {"ignore": true} → ignore;
//   {"trap_exit": true} → traps exits; {"terminate_ms": N} → terminate
//   busy-waits N ms (QuickJS has no sleep).
// - call "ping" → "pong" (counted in the state).
// - call or cast {"crash": K}, in JavaScript's terms: "trap" (throws a value
//   that is not an Error: QuickJS cannot run `unreachable` itself, and the
//   runtime traps on any uncaught throw), "panic" (throws
//   Error("faulty: asked to panic")), "div_zero" (BigInt division by zero:
//   RangeError), "loop" (never returns), "oom" (keeps 1 MiB buffers until
//   the memory limit), "stack" (unbounded recursion: a stack
//   overflow, which in QuickJS is a wasm stack overflow).
// - call {"stop": R} → stops with R ("normal", "shutdown", else an error)
//   replying "stopping"; cast {"stop": R} likewise.
// - call {"sleep_ms": N} → "slept" after N ms, a deferred reply.
// - call {"config": KEY} → the application env value, or null.
// - call "config_changes" → every config-change heard, as
//   [{"changed": {KEY: VALUE}, "removed": [KEY]}]; a config-change that
//   changes `crash` crashes the way {"crash": K} does.
// - terminate logs `terminate: <reason>` first. get-state {"pings": N}.

import { GenServer, Ignore, NoReply, Stop, config, log, reply, sendAfter, serve, trapExit } from "overseer";

function recurse(depth) {
  return recurse(depth + 1) + 1;
}

function crash(how) {
  switch (how) {
    case "trap":
      throw 42;
    case "panic":
      throw new Error("faulty: asked to panic");
    case "div_zero":
      return BigInt(1) / BigInt(0);
    case "loop":
      for (;;) {}
    case "oom": {
      const chunks = [];
      for (;;) chunks.push(new Uint8Array(1 << 20).fill(0xa5));
    }
    case "stack":
      return recurse(0);
    default:
      return new Stop(`unknown crash kind ${JSON.stringify(how)}`);
  }
}

class Faulty extends GenServer {
  static vsn = "1.0.0";

  init(args) {
    args = args ?? {};
    if (args.fail_init) return new Stop("init failed on purpose");
    if (args.ignore) return new Ignore();
    if (args.trap_exit) trapExit(true);
    this.pings = 0;
    this._terminateMs = args.terminate_ms ?? null;
  }

  handleCall(request, from) {
    if (request === "ping") {
      this.pings += 1;
      return "pong";
    }
    if (request === "config_changes") return this._configChanges ?? [];
    const [op, arg] = Object.entries(request ?? {})[0] ?? [];
    switch (op) {
      case "crash":
        return crash(arg);
      case "stop":
        return new Stop(arg, "stopping");
      case "sleep_ms":
        sendAfter({ wake: from }, arg);
        return new NoReply();
      case "config":
        return config(arg);
      default:
        return new Stop(`unknown call ${JSON.stringify(request)}`);
    }
  }

  handleCast(msg) {
    if (msg?.crash !== undefined) return crash(msg.crash);
    if (msg?.stop !== undefined) return new Stop(msg.stop);
    return new Stop(`unknown cast ${JSON.stringify(msg)}`);
  }

  handleInfo(msg) {
    if (msg?.wake !== undefined) reply(msg.wake, "slept");
  }

  configChange(changed, removed) {
    if (changed.crash !== undefined) crash(changed.crash);
    this._configChanges = [...(this._configChanges ?? []), { changed, removed }];
  }

  terminate(reason) {
    log.info(`terminate: ${reason}`);
    if (this._terminateMs) {
      const until = Date.now() + this._terminateMs;
      while (Date.now() < until);
    }
  }
}

export const server = serve(Faulty);
