// What callbacks return and what they are given: exit reasons, replies,
// stops, and the non-message infos (timeouts, downs, exits).

/**
 * Why a process exits, as OTP says it: `normal`, `shutdown` and
 * `shutdown: <term>` are clean exits (a transient child is not restarted
 * after them); anything else is an error with a reason meant for people.
 * `String(reason)` shows it as the host does.
 */
export class ExitReason {
  constructor(kind, detail = "") {
    this.kind = kind;
    this.detail = detail;
  }
  /** The work is done. */
  static normal() {
    return new ExitReason("normal");
  }
  /** Told to stop; with `term`, OTP's `{shutdown, term}`. */
  static shutdown(term) {
    return term === undefined ? new ExitReason("shutdown") : new ExitReason("shutdown-with", term);
  }
  /** An abnormal exit. */
  static error(reason) {
    return new ExitReason("error", String(reason));
  }
  /** `"normal"` and `"shutdown"` are those exits, any other text an error. */
  static of(reason) {
    if (reason instanceof ExitReason) return reason;
    if (reason === "normal") return ExitReason.normal();
    if (reason === "shutdown") return ExitReason.shutdown();
    return ExitReason.error(reason);
  }
  /** True for normal, shutdown and shutdown with a term. */
  isClean() {
    return this.kind !== "error";
  }
  toString() {
    if (this.kind === "shutdown-with") return `shutdown: ${this.detail}`;
    if (this.kind === "error") return this.detail;
    return this.kind;
  }
  toWit() {
    return this.kind === "normal" || this.kind === "shutdown" ? { tag: this.kind } : { tag: this.kind, val: this.detail };
  }
  static fromWit(reason) {
    if (reason.tag === "shutdown-with") return ExitReason.shutdown(reason.val);
    if (reason.tag === "error") return ExitReason.error(reason.val);
    return new ExitReason(reason.tag);
  }
}

/** `handleCall`: answer `value` now, optionally with a timeout. Returning a plain value is `new Reply(value)`. */
export class Reply {
  constructor(value, timeoutMs = null) {
    this.value = value;
    this.timeoutMs = timeoutMs;
  }
}

/** `handleCall`: answer later with `reply(caller, value)`. `handleCast`/`handleInfo`: carry on (as returning nothing), with an optional timeout. */
export class NoReply {
  constructor(timeoutMs = null) {
    this.timeoutMs = timeoutMs;
  }
}

const NO_REPLY = Symbol("no reply");

/** Stop with `reason` (an ExitReason or text: "normal", "shutdown", else an error); from `handleCall`, `reply` answers after `terminate`. */
export class Stop {
  constructor(reason, reply = NO_REPLY) {
    this.reason = ExitReason.of(reason);
    this.reply = reply;
  }
  hasReply() {
    return this.reply !== NO_REPLY;
  }
}

/** `init`: do not start; the supervisor keeps the child as not running. */
export class Ignore {}

/** `init`: started, with a timeout. Returning nothing from `init` starts with none. */
export class Continue {
  constructor(timeoutMs = null) {
    this.timeoutMs = timeoutMs;
  }
}

/** `handleInfo`: the timeout the last callback asked for expired. */
export class Timeout {}

/** `handleInfo`: a monitored process exited (the monitor is gone). */
export class Down {
  constructor(monitor, pid, reason) {
    this.monitor = monitor;
    this.pid = pid;
    this.reason = reason;
  }
}

/** `handleInfo`: a linked process exited, and this one traps exits. */
export class Exit {
  constructor(fromPid, reason) {
    this.fromPid = fromPid;
    this.reason = reason;
  }
}

/** Who waits on a call: `{pid, tag}`, JSON as it is; give it to `reply`. `pid` is null for a call from outside. */
export function caller(pid, tag) {
  return { pid: pid ?? null, tag };
}

/** Where `codeChange`'s state comes from: `vsn` made it; `downgrade` when a newer build did. */
export class VsnChange {
  constructor(vsn, downgrade) {
    this.vsn = vsn;
    this.downgrade = downgrade;
  }
  toString() {
    return this.downgrade ? `{down, ${this.vsn}}` : this.vsn;
  }
}

export function timeoutToWit(timeoutMs) {
  return timeoutMs === null || timeoutMs === undefined ? { tag: "infinity" } : { tag: "after-ms", val: timeoutMs };
}
