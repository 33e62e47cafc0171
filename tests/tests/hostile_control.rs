//! The hostile suite, the control socket and plugin names: only the host's
//! own user reaches the control API, through a socket that is never open to
//! others, with bounded requests and connections; a plugin is named, never
//! a path, from guests, the CLI and the control API alike.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use overseer::control::{ControlSocket, MAX_CONNECTIONS, MAX_REQUEST_BYTES, serve};
use overseer_tests::hostile::{assert_contained, attack, http, serve_control, stage};
use serde_json::json;
use tokio::net::UnixStream;

async fn post(socket: &Path, path: &str, body: &[u8]) -> (u16, String) {
    http(socket, "POST", path, body).await
}

fn socket_in(dir: &Path) -> PathBuf {
    dir.join("control.sock")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_the_users_alone() {
    // A folder others may write in is refused.
    let open = tempfile::tempdir().expect("a folder");
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let err = ControlSocket::bind(&socket_in(open.path()))
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .contains("mode 777 lets other users write in it (chmod 700)"),
        "{err}"
    );
    // A new folder is made 0700, the socket 0600.
    let base = tempfile::tempdir().expect("a folder");
    let path = base.path().join(".overseer/control.sock");
    let socket = ControlSocket::bind(&path).await.expect("bound");
    let mode = |p: &Path| std::fs::metadata(p).expect("there").permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().expect("a folder")), 0o700);
    assert_eq!(mode(&path), 0o600);
    drop(socket);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_bounded_and_plugin_names_are_names() {
    let app = stage(
        "supervisors = [\"jobs\", \"tasks\"]\ntasks = [\"wordcount\"]",
        "",
        "",
    )
    .await;
    let mut counted = 0;
    let dir = tempfile::tempdir().expect("a folder");
    let path = socket_in(dir.path());
    let server = serve_control(&app, &path).await;
    // A body past the limit: 413, and the host serves on.
    let huge = vec![b' '; MAX_REQUEST_BYTES + 1];
    let (status, _) = post(&path, "/call", &huge).await;
    assert_eq!(status, 413);
    let call = json!({"target": "c", "request": "get"}).to_string();
    let (status, body) = post(&path, "/call", call.as_bytes()).await;
    assert_eq!(
        (status, body.contains("\"reply\":0")),
        (200, true),
        "{body}"
    );

    // Connections past the cap wait for one to close.
    let mut held = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        held.push(UnixStream::connect(&path).await.expect("connects"));
    }
    let waiting = tokio::spawn({
        let path = path.clone();
        let call = call.clone();
        async move { post(&path, "/call", call.as_bytes()).await }
    });
    let early = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        while !waiting.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(early.is_err(), "served past the cap of {MAX_CONNECTIONS}");
    held.clear();
    let (status, _) = waiting.await.expect("the request ends");
    assert_eq!(status, 200, "served once a connection closed");

    // Attack 9: paths for plugin names, from the control API...
    for name in ["../hostile", "/etc/passwd", "hostile/../../x", "a b", ""] {
        let task = json!({"plugin": name, "input": null}).to_string();
        let (status, body) = post(&path, "/task", task.as_bytes()).await;
        assert_ne!(status, 200, "{name}");
        assert!(body.contains("is not a plugin name"), "{name}: {body}");
        assert!(!body.trim_end().contains('\n'), "one line: {body}");
        let start = json!({"supervisor": "jobs", "spec": {"plugin": name}}).to_string();
        let (status, body) = post(&path, "/start_child", start.as_bytes()).await;
        assert_ne!(status, 200, "{name}");
        assert!(body.contains("is not a plugin name"), "{name}: {body}");
    }
    // ... and from a guest.
    for name in ["../wordcount", "/abs/wordcount.wasm"] {
        let task = attack(&app, json!({"task": {"sup": "tasks", "plugin": name}})).await;
        assert!(
            task.as_ref().is_ok_and(|r| r["error"]
                .as_str()
                .is_some_and(|e| e.contains("is not a plugin name"))),
            "{name}: {task:?}"
        );
        let spec = json!({"plugin": name, "restart": "temporary"});
        let start = attack(&app, json!({"start_child": {"sup": "jobs", "spec": spec}})).await;
        assert!(
            start.as_ref().is_ok_and(|r| r["error"]
                .as_str()
                .is_some_and(|e| e.contains("is not a plugin name"))),
            "{name}: {start:?}"
        );
    }
    // Two spellings of one task are one plugin.
    for name in ["wordcount", "wordcount.wasm"] {
        let task = attack(&app, json!({"task": {"sup": "tasks", "plugin": name}})).await;
        assert!(
            task.as_ref().is_ok_and(|r| r.get("ok").is_some()),
            "{name}: {task:?}"
        );
    }
    assert_contained(&app, &mut counted).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_user_is_turned_away() {
    if overseer::sandbox::host_uid() != 0 {
        eprintln!("skipped: only root can connect as another user to test SO_PEERCRED");
        return;
    }
    let app = stage("", "", "").await;
    let dir = tempfile::tempdir().expect("a folder");
    // Others may pass through the folder (not write in it) and the socket
    // is opened up by hand: a mistake the peer check still covers.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).expect("chmod");
    let path = socket_in(dir.path());
    let socket = ControlSocket::bind(&path).await.expect("bound");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let server = serve(
        socket,
        app.app.root().clone(),
        app.reloader().clone(),
        None,
        Arc::new(tokio::sync::Notify::new()),
        overseer::control::EventLog::start(&app.node),
    );
    let curl = |uid: Option<u32>| {
        let path = path.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                use std::os::unix::process::CommandExt;
                let mut command = std::process::Command::new("curl");
                command.args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "--max-time",
                    "10",
                ]);
                command
                    .arg("--unix-socket")
                    .arg(&path)
                    .arg("http://overseer/tree");
                if let Some(uid) = uid {
                    command.uid(uid).gid(uid);
                }
                let out = command.output().expect("curl runs");
                String::from_utf8_lossy(&out.stdout).into_owned()
            })
            .await
            .expect("curl returns")
        }
    };
    assert_eq!(curl(None).await, "200", "the host's own user");
    assert_eq!(curl(Some(65534)).await, "000", "nobody gets no answer");
    server.shutdown().await;
}
