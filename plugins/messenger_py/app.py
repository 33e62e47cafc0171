"""messenger_py: the Rust ``messenger`` in Python, with its protocol (see
plugins/messenger): a process that talks to others on request, the driver
of the messaging tests in every language. A target T is a pid, a name, or
``[registry, key]``; an error kind is ``"noproc"``, ``"timeout"``,
``"calling_self"``, ``"exited: <reason>"`` or the host's refusal."""

import os

import overseer as o
from overseer import CallError, Down, Exit, GenServer, HostError, Stop, Timeout, serve


def error(err: CallError):
    if err.kind == "exited":
        return {"error": f"exited: {err.detail}"}
    if err.kind == "refused":
        return {"error": err.detail}
    return {"error": err.kind}


def ok_or_error(action):
    try:
        action()
        return "ok"
    except CallError as err:
        return error(err)


def ok_or_message(action):
    try:
        return {"ok": action()}
    except HostError as err:
        return {"error": str(err)}


def target(value):
    return tuple(value) if isinstance(value, list) else value


class Messenger(GenServer):
    vsn = "1.0.0"

    def init(self, args):
        args = args or {}
        if args.get("trap_exit"):
            o.trap_exit(True)
        if args.get("name") is not None:
            try:
                o.register(args["name"])
            except HostError as err:
                return Stop(str(err))
        self.inbox = []

    def handle_call(self, request, caller):
        if request == "inbox":
            return self.inbox
        if request == "pid":
            return o.self_pid()
        if request == "who":
            return caller.pid
        if request == "crash":
            os.abort()
        (op, arg), = request.items()
        return getattr(self, "op_" + op)(arg)

    # ----- messaging -----

    def op_echo(self, value):
        return value

    def op_call(self, arg):
        try:
            return {"ok": o.call(target(arg["to"]), arg["msg"], arg.get("timeout_ms"))}
        except CallError as err:
            return error(err)

    def op_send(self, arg):
        return ok_or_error(lambda: o.send(target(arg["to"]), arg["msg"]))

    def op_cast(self, arg):
        return ok_or_error(lambda: o.cast(target(arg["to"]), arg["msg"]))

    def op_whereis(self, name):
        return o.whereis(name)

    def op_register(self, name):
        try:
            o.register(name)
            return "ok"
        except HostError as err:
            return {"error": str(err)}

    def op_unregister(self, name):
        return o.unregister(name)

    def op_monitor(self, pid):
        return o.monitor(pid)

    def op_demonitor(self, ref):
        return o.demonitor(ref)

    def op_link(self, pid):
        return ok_or_error(lambda: o.link(pid))

    def op_unlink(self, pid):
        o.unlink(pid)
        return "ok"

    def op_trap_exit(self, enabled):
        o.trap_exit(enabled)
        return "ok"

    def op_stop(self, reason):
        return Stop(reason, reply="ok")

    # ----- supervisors, registries, pools, tasks -----

    def op_start_child(self, arg):
        return ok_or_message(lambda: o.start_child(target(arg["sup"]), arg["spec"]))

    def op_terminate_child(self, arg):
        try:
            o.terminate_child(target(arg["sup"]), arg["pid"])
            return "ok"
        except HostError as err:
            return {"error": str(err)}

    def op_child_by_id(self, arg):
        sup, op, id = target(arg["sup"]), arg["op"], arg["id"]
        if op == "terminate":
            return ok_or_message(lambda: o.terminate_child_by_id(sup, id))
        if op == "restart":
            return ok_or_message(lambda: o.restart_child(sup, id))
        if op == "delete":
            return ok_or_message(lambda: o.delete_child(sup, id))
        return {"error": f"unknown op {op}"}

    def op_which_children(self, sup):
        return ok_or_message(lambda: o.which_children(target(sup)))

    def op_count_children(self, sup):
        return ok_or_message(lambda: o.count_children(target(sup)))

    def op_reg_register(self, e):
        try:
            o.registry_register(e["registry"], e["key"], e.get("value"))
            return "ok"
        except HostError as err:
            return {"error": str(err)}

    def op_reg_unregister(self, e):
        o.registry_unregister(e["registry"], e["key"])
        return "ok"

    def op_reg_lookup(self, e):
        return [[pid, value] for pid, value in o.registry_lookup(e["registry"], e["key"])]

    def op_reg_dispatch(self, e):
        return o.registry_dispatch(e["registry"], e["key"], e.get("msg"))

    def op_reg_count(self, registry):
        return o.registry_count(registry)

    def op_reg_meta(self, e):
        return o.registry_meta(e["registry"], e["key"])

    def op_reg_put_meta(self, e):
        o.registry_put_meta(e["registry"], e["key"], e.get("value"))
        return "ok"

    def op_pool_checkout(self, p):
        return ok_or_message(lambda: o.pool_checkout(p["pool"], p.get("block", False), p.get("timeout_ms", 5000)))

    def op_pool_checkin(self, p):
        o.pool_checkin(p["pool"], p["pid"])
        return "ok"

    def op_pool_transaction(self, p):
        return ok_or_message(lambda: o.pool_transaction(p["pool"], p.get("msg"), p.get("timeout_ms", 5000)))

    def op_task_start(self, t):
        return ok_or_message(lambda: o.task_start_child(target(t["sup"]), t["plugin"], t.get("input")))

    def op_task_async(self, t):
        return ok_or_message(
            lambda: o.task_async(target(t["sup"]), t["plugin"], t.get("input"), t.get("link", False))
        )

    def op_task_await(self, t):
        return ok_or_message(lambda: o.task_await(t["task"], t.get("timeout_ms", 5000)))

    # ----- what arrives -----

    def handle_cast(self, msg):
        self.inbox.append({"cast": msg})

    def handle_info(self, msg):
        if isinstance(msg, Timeout):
            return None
        if isinstance(msg, Down):
            entry = {"down": {"monitor": msg.monitor, "pid": msg.pid, "reason": str(msg.reason)}}
        elif isinstance(msg, Exit):
            entry = {"exit": {"from": msg.from_pid, "reason": str(msg.reason)}}
        else:
            entry = {"message": msg}
        self.inbox.append(entry)


Server = serve(Messenger)
