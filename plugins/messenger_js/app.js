// messenger_js: the Rust `messenger` in JavaScript, with its protocol (see
// plugins/messenger): a process that talks to others on request, the driver
// of the messaging tests in every language. A target T is a pid, a name, or
// [registry, key]; an error kind is "noproc", "timeout", "calling_self",
// "exited: <reason>" or the host's refusal.

import * as o from "overseer";
import { CallError, Down, Exit, GenServer, HostError, Stop, Timeout, serve } from "overseer";

function error(err) {
  if (!(err instanceof CallError)) throw err;
  if (err.kind === "exited") return { error: `exited: ${err.detail}` };
  if (err.kind === "refused") return { error: err.detail };
  return { error: err.kind };
}

function okOrError(action) {
  try {
    action();
    return "ok";
  } catch (err) {
    return error(err);
  }
}

function hostAnswer(action, wrap) {
  try {
    const value = action();
    return wrap ? { ok: value ?? null } : "ok";
  } catch (err) {
    if (err instanceof HostError) return { error: err.message };
    throw err;
  }
}

const ops = {
  echo: (_, value) => value,
  call: (_, a) => {
    try {
      return { ok: o.call(a.to, a.msg, a.timeout_ms ?? null) };
    } catch (err) {
      return error(err);
    }
  },
  send: (_, a) => okOrError(() => o.send(a.to, a.msg)),
  cast: (_, a) => okOrError(() => o.cast(a.to, a.msg)),
  whereis: (_, name) => o.whereis(name),
  register: (_, name) => hostAnswer(() => o.register(name), false),
  unregister: (_, name) => o.unregister(name),
  monitor: (_, pid) => o.monitor(pid),
  demonitor: (_, ref) => o.demonitor(ref),
  link: (_, pid) => okOrError(() => o.link(pid)),
  unlink: (_, pid) => (o.unlink(pid), "ok"),
  trap_exit: (_, enabled) => (o.trapExit(enabled), "ok"),
  stop: (_, reason) => new Stop(reason, "ok"),
  start_child: (_, a) => hostAnswer(() => o.startChild(a.sup, a.spec), true),
  terminate_child: (_, a) => hostAnswer(() => o.terminateChild(a.sup, a.pid), false),
  child_by_id: (_, a) => {
    const byOp = { terminate: o.terminateChildById, restart: o.restartChild, delete: o.deleteChild };
    if (!byOp[a.op]) return { error: `unknown op ${a.op}` };
    return hostAnswer(() => byOp[a.op](a.sup, a.id), true);
  },
  which_children: (_, sup) => hostAnswer(() => o.whichChildren(sup), true),
  count_children: (_, sup) => hostAnswer(() => o.countChildren(sup), true),
  reg_register: (_, e) => hostAnswer(() => o.registryRegister(e.registry, e.key, e.value ?? null), false),
  reg_unregister: (_, e) => (o.registryUnregister(e.registry, e.key), "ok"),
  reg_lookup: (_, e) => o.registryLookup(e.registry, e.key),
  reg_dispatch: (_, e) => o.registryDispatch(e.registry, e.key, e.msg ?? null),
  reg_count: (_, registry) => o.registryCount(registry),
  reg_meta: (_, e) => o.registryMeta(e.registry, e.key),
  reg_put_meta: (_, e) => (o.registryPutMeta(e.registry, e.key, e.value ?? null), "ok"),
  pool_checkout: (_, p) => hostAnswer(() => o.poolCheckout(p.pool, p.block ?? false, p.timeout_ms ?? 5000), true),
  pool_checkin: (_, p) => (o.poolCheckin(p.pool, p.pid), "ok"),
  pool_transaction: (_, p) => hostAnswer(() => o.poolTransaction(p.pool, p.msg ?? null, p.timeout_ms ?? 5000), true),
  task_start: (_, t) => hostAnswer(() => o.taskStartChild(t.sup, t.plugin, t.input ?? null), true),
  task_async: (_, t) => hostAnswer(() => o.taskAsync(t.sup, t.plugin, t.input ?? null, t.link ?? false), true),
  task_await: (_, t) => hostAnswer(() => o.taskAwait(t.task, t.timeout_ms ?? 5000), true),
};

class Messenger extends GenServer {
  static vsn = "1.0.0";

  init(args) {
    args = args ?? {};
    if (args.trap_exit) o.trapExit(true);
    if (args.name !== undefined && args.name !== null) {
      try {
        o.register(args.name);
      } catch (err) {
        return new Stop(err.message);
      }
    }
    this.inbox = [];
  }

  handleCall(request, from) {
    if (request === "inbox") return this.inbox;
    if (request === "pid") return o.selfPid();
    if (request === "who") return from.pid;
    if (request === "crash") throw 0;
    const [op, arg] = Object.entries(request ?? {})[0] ?? [];
    const run = ops[op];
    if (!run) return new Stop(`unknown call ${JSON.stringify(request)}`);
    return run(from, arg);
  }

  handleCast(msg) {
    this.inbox.push({ cast: msg });
  }

  handleInfo(msg) {
    if (msg instanceof Timeout) return;
    if (msg instanceof Down) {
      this.inbox.push({ down: { monitor: msg.monitor, pid: msg.pid, reason: String(msg.reason) } });
    } else if (msg instanceof Exit) {
      this.inbox.push({ exit: { from: msg.fromPid, reason: String(msg.reason) } });
    } else {
      this.inbox.push({ message: msg });
    }
  }
}

export const server = serve(Messenger);
