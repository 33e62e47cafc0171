// Every import of the overseer:plugin world, with JSON in and out:
// messaging, timers, links and monitors, names, registries, pools, tasks,
// supervisors, the application's configuration. A refusal from the host (a
// capability not granted, a quota reached) is thrown as a HostError or a
// CallError carrying the host's one line.

import host from "overseer:plugin/host@0.1.0";

import { ExitReason, timeoutToWit } from "./results.js";
import { decodeUtf8, encodeUtf8 } from "./utf8.js";

/** The host refused a request and said why in one line. */
export class HostError extends Error {
  constructor(message) {
    super(message);
    this.name = "HostError";
  }
}

/**
 * A message or call to another process did not get through. `kind` is
 * "noproc", "timeout", "exited", "calling_self" or "refused"; `detail` the
 * exit reason or the host's line.
 */
export class CallError extends Error {
  constructor(kind, detail = "") {
    super(detail ? `${kind}: ${detail}` : kind);
    this.name = "CallError";
    this.kind = kind;
    this.detail = detail;
  }
}

/** A value as the JSON payload every process understands. */
export function encode(value) {
  return encodeUtf8(JSON.stringify(value === undefined ? null : value));
}

/** A JSON payload as a value. */
export function decode(payload) {
  return JSON.parse(decodeUtf8(payload));
}

/** A pid (number), a registered name (string), or [registry, key]. */
function target(to) {
  if (typeof to === "number") return { tag: "pid", val: to };
  if (typeof to === "string") return { tag: "name", val: to };
  if (Array.isArray(to) && to.length === 2) return { tag: "via", val: [String(to[0]), String(to[1])] };
  throw new TypeError(`a target is a pid, a name or [registry, key], not ${JSON.stringify(to)}`);
}

function callError(err) {
  const e = err && err.payload;
  if (!e || typeof e.tag !== "string") return err;
  if (e.tag === "exited") return new CallError("exited", String(ExitReason.fromWit(e.val)));
  if (e.tag === "refused") return new CallError("refused", e.val);
  return new CallError(e.tag === "calling-self" ? "calling_self" : e.tag);
}

function hostError(err) {
  return err && typeof err.payload === "string" ? new HostError(err.payload) : err;
}

function orCallError(f) {
  try {
    return f();
  } catch (err) {
    throw callError(err);
  }
}

function orHostError(f) {
  try {
    return f();
  } catch (err) {
    throw hostError(err);
  }
}

// ----- this process -----

/** This process's pid. */
export const selfPid = () => host.selfPid();

/** Trap exits: linked exits arrive as `Exit` infos, and a shutdown runs `terminate` first. */
export const trapExit = (enabled) => host.trapExit(Boolean(enabled));

/** The application's `[app.env]` value under `key` (if granted), or null. */
export function config(key) {
  const raw = host.config(key);
  return raw === null || raw === undefined ? null : decode(raw);
}

// ----- timers and replies -----

/** Deliver `msg` to this process's `handleInfo` after `ms` ms: the timer's reference. */
export const sendAfter = (msg, ms) => host.sendAfter(encode(msg), ms);

/** Cancel a timer; true if it had not fired. */
export const cancelTimer = (timer) => host.cancelTimer(timer);

/** Answer a call that `handleCall` returned `new NoReply()` for. */
export const reply = (to, value) => host.reply({ pid: to.pid ?? null, tag: to.tag }, encode(value));

// ----- messaging -----

/** The pid registered under `name`, or null. */
export const whereis = (name) => host.whereis(name) ?? null;

/** A plain message to `to`'s `handleInfo`. */
export const send = (to, msg) => orCallError(() => host.send(target(to), encode(msg)));

/** A cast to `to`'s `handleCast`. */
export const cast = (to, msg) => orCallError(() => host.cast(target(to), encode(msg)));

/** Call `to` and wait for its reply (timeoutMs null: for ever). */
export const call = (to, request, timeoutMs = 5000) =>
  orCallError(() => decode(host.call(target(to), encode(request), timeoutToWit(timeoutMs))));

/** Monitor `pid`: a `Down` info when it exits. The reference. */
export const monitor = (pid) => host.monitor(pid);

/** Stop a monitor; true if it was active. */
export const demonitor = (ref) => host.demonitor(ref);

/** Link this process and `pid`. */
export const link = (pid) => orCallError(() => host.link(pid));

/** Remove a link, if any. */
export const unlink = (pid) => host.unlink(pid);

/** Register this process under `name`. */
export const register = (name) => orHostError(() => host.register(name));

/** Release `name`; true if this process held it. */
export const unregister = (name) => host.unregister(name);

// ----- registries -----

/** Register this process under `key` in `registry` with `value`. */
export const registryRegister = (registry, key, value = null) =>
  orHostError(() => host.registryRegister(registry, key, encode(value)));

/** Remove this process's entries under `key`. */
export const registryUnregister = (registry, key) => host.registryUnregister(registry, key);

/** The entries under `key`: [pid, value], oldest first. */
export const registryLookup = (registry, key) =>
  host.registryLookup(registry, key).map(([pid, value]) => [pid, decode(value)]);

/** Send `msg` to every process under `key`; how many. */
export const registryDispatch = (registry, key, msg) => host.registryDispatch(registry, key, encode(msg));

/** How many entries `registry` holds. */
export const registryCount = (registry) => host.registryCount(registry);

/** The registry's metadata under `key`, or null. */
export function registryMeta(registry, key) {
  const raw = host.registryMeta(registry, key);
  return raw === null || raw === undefined ? null : decode(raw);
}

/** Set the registry's metadata under `key`. */
export const registryPutMeta = (registry, key, value) => host.registryPutMeta(registry, key, encode(value));

// ----- pools -----

/** Check a worker out of `pool`: its pid. */
export const poolCheckout = (pool, block = true, timeoutMs = 5000) =>
  orHostError(() => host.poolCheckout(pool, block, timeoutMs));

/** Give a worker back. */
export const poolCheckin = (pool, worker) => host.poolCheckin(pool, worker);

/** Check a worker out, call it with `request`, check it back in. */
export const poolTransaction = (pool, request, timeoutMs = 5000) =>
  orHostError(() => decode(host.poolTransaction(pool, encode(request), timeoutMs)));

// ----- tasks -----

/** Start a task, fire and forget: its pid. */
export const taskStartChild = (sup, plugin, input) =>
  orHostError(() => host.taskStartChild(target(sup), plugin, encode(input)));

/** Start a task to `taskAwait`: its pid. */
export const taskAsync = (sup, plugin, input, link = true) =>
  orHostError(() => host.taskAsync(target(sup), plugin, encode(input), link));

/** The result of a task started with `taskAsync`. */
export const taskAwait = (task, timeoutMs = 5000) => orHostError(() => decode(host.taskAwait(task, timeoutMs)));

// ----- supervisors -----

/** Start a child under `sup` from a child spec: its pid, or null if its init ignored. */
export const startChild = (sup, spec) => orHostError(() => host.startChild(target(sup), encode(spec)) ?? null);

/** Stop child `child` of `sup` and forget it. */
export const terminateChild = (sup, child) => orHostError(() => host.terminateChild(target(sup), child));

/** Stop static supervisor `sup`'s child `id`, keeping its spec (OTP's `terminate_child(Sup, Id)`). Throws a `HostError` with "not_found". */
export const terminateChildById = (sup, id) => orHostError(() => host.terminateChildById(target(sup), id));

/** Start static supervisor `sup`'s stopped child `id` again (OTP's `restart_child`): its pid, or null if init returned ignore. Throws a `HostError` with "running", "restarting" or "not_found". */
export const restartChild = (sup, id) => orHostError(() => host.restartChild(target(sup), id) ?? null);

/** Forget static supervisor `sup`'s stopped child `id` (OTP's `delete_child`). Throws a `HostError` with "running", "restarting" or "not_found". */
export const deleteChild = (sup, id) => orHostError(() => host.deleteChild(target(sup), id));

/** `sup`'s children: [{id, pid, type, status, restarts}]. */
export const whichChildren = (sup) => orHostError(() => decode(host.whichChildren(target(sup))));

/** `sup`'s counts: {specs, active, supervisors, workers}. */
export const countChildren = (sup) => orHostError(() => decode(host.countChildren(target(sup))));

// ----- log -----

function logAt(level) {
  return (msg) => host.log(level, String(msg));
}

/** Lines to the host's log, tagged with this process. */
export const log = {
  trace: logAt("trace"),
  debug: logAt("debug"),
  info: logAt("info"),
  warn: logAt("warn"),
  error: logAt("error"),
};
