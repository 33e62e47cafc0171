//! A static supervisor's children by id from the command line, with OTP's
//! answers: `terminate-child SUP ID` keeps the spec, `restart-child`
//! starts it again (or is refused while it runs), `delete-child` forgets a
//! stopped one, and an unknown id is `not_found`, each refusal one line.

use serde_json::Value;

use overseer_tests::cli_host::{Host, failure, stdout};
use overseer_tests::worker;

#[test]
fn a_static_supervisors_children_by_id() {
    let host = Host::start(&format!(
        "{}{}",
        worker("counter", "counter", ""),
        worker("faulty", "faulty", "")
    ));
    let info: Value =
        serde_json::from_str(&stdout(&host.client(&["info", "counter", "--json"]))).unwrap();
    let root = info["parent"].to_string();
    let children = || -> Value {
        serde_json::from_str(&stdout(&host.client(&["which-children", &root]))).unwrap()
    };
    let child = |id: &str| -> Value {
        children()
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };

    let (code, err) = failure(&host.client(&["restart-child", &root, "counter"]));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "overseer: child 'counter' is running: terminate it first"
    );
    let (_, err) = failure(&host.client(&["delete-child", &root, "counter"]));
    assert_eq!(
        err,
        "overseer: child 'counter' is running: terminate it first"
    );

    stdout(&host.client(&["terminate-child", &root, "counter"]));
    stdout(&host.client(&["terminate-child", &root, "counter"]));
    let stopped = child("counter");
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    assert_eq!(stopped["pid"], Value::Null, "{stopped}");
    assert_eq!(
        child("faulty")["status"],
        "running",
        "the other one is untouched"
    );

    let pid = stdout(&host.client(&["restart-child", &root, "counter"]));
    assert!(pid.trim().parse::<u64>().is_ok(), "{pid}");
    assert_eq!(child("counter")["pid"].to_string(), pid.trim());
    assert_eq!(
        stdout(&host.client(&["call", "counter", "\"increment\""])),
        "1\n"
    );

    stdout(&host.client(&["terminate-child", &root, "counter"]));
    stdout(&host.client(&["delete-child", &root, "counter"]));
    assert_eq!(child("counter"), Value::Null, "forgotten");
    for command in ["restart-child", "delete-child", "terminate-child"] {
        let (code, err) = failure(&host.client(&[command, &root, "counter"]));
        assert_eq!(code, 1);
        assert_eq!(err, "overseer: no child with id 'counter'", "{command}");
    }
}
