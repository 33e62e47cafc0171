//! The hostile suite, the machine: a guest reaches no file, no variable and
//! no address of the host unless its plugin's `[plugin.NAME.wasi]` grants
//! it, and then only that.

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use overseer_tests::hostile::{assert_contained, attack, stage};
use serde_json::{Value, json};

/// A listener that records whether anyone connected, and what they sent.
struct Listener {
    port: u16,
    listener: TcpListener,
}

impl Listener {
    fn new() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("bound").port();
        Listener { port, listener }
    }

    /// What the first connection sent, if one came.
    fn received(&self) -> Option<String> {
        let (mut stream, _) = self.listener.accept().ok()?;
        stream.set_nonblocking(false).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        Some(text)
    }
}

fn is_error(reply: &Result<Value, String>) -> bool {
    reply.as_ref().is_ok_and(|r| r.get("error").is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_guest_reaches_nothing_of_the_machine() {
    let app = stage("", "", "").await;
    let mut counted = 0;
    let listener = Listener::new();
    for escape in [
        json!({"read_file": "/etc/passwd"}),
        json!({"read_file": "../../../../etc/passwd"}),
        json!({"list_dir": "/"}),
        json!({"write_file": "/tmp/overseer-hostile-escape"}),
        json!({"env": "HOME"}),
        json!({"env": "PATH"}),
        json!({"connect": format!("127.0.0.1:{}", listener.port)}),
    ] {
        let reply = attack(&app, escape.clone()).await;
        assert!(is_error(&reply), "{escape}: {reply:?}");
    }
    assert!(!std::path::Path::new("/tmp/overseer-hostile-escape").exists());
    assert_eq!(listener.received(), None, "nobody connected");
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_opens_that_and_nothing_more() {
    let data = tempfile::tempdir().expect("a folder");
    std::fs::write(data.path().join("hello.txt"), "hello from the host").expect("written");
    let out = tempfile::tempdir().expect("a folder");
    let allowed = Listener::new();
    let other = Listener::new();
    let grants = format!(
        "[plugin.hostile.wasi]\n\
         dirs = [{{ host = {:?}, guest = \"/data\" }}, {{ host = {:?}, guest = \"/out\", write = true }}]\n\
         env = {{ GREETING = \"hi\" }}\n\
         allowed_outbound_hosts = [\"tcp://127.0.0.1:{}\"]\n",
        data.path().display().to_string(),
        out.path().display().to_string(),
        allowed.port,
    );
    let app = stage(&grants, "", "").await;
    let mut counted = 0;
    assert_eq!(
        attack(&app, json!({"read_file": "/data/hello.txt"})).await,
        Ok(json!({"ok": "hello from the host"}))
    );
    assert_eq!(
        attack(&app, json!({"list_dir": "/data"})).await,
        Ok(json!({"ok": ["hello.txt"]}))
    );
    // Read-only, and no way out of it.
    for escape in [
        json!({"write_file": "/data/new.txt"}),
        json!({"read_file": "/data/../../../../etc/passwd"}),
        json!({"read_file": "/etc/passwd"}),
        json!({"env": "HOME"}),
        json!({"connect": format!("127.0.0.1:{}", other.port)}),
    ] {
        let reply = attack(&app, escape.clone()).await;
        assert!(is_error(&reply), "{escape}: {reply:?}");
    }
    assert!(!data.path().join("new.txt").exists());
    // What is granted works.
    assert_eq!(
        attack(&app, json!({"write_file": "/out/new.txt"})).await,
        Ok(json!({"ok": "ok"}))
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("new.txt"))
            .ok()
            .as_deref(),
        Some("written by hostile")
    );
    assert_eq!(
        attack(&app, json!({"env": "GREETING"})).await,
        Ok(json!({"ok": "hi"}))
    );
    assert_eq!(
        attack(
            &app,
            json!({"connect": format!("127.0.0.1:{}", allowed.port)})
        )
        .await,
        Ok(json!({"ok": "connected"}))
    );
    assert_eq!(allowed.received().as_deref(), Some("hello from hostile\n"));
    assert_eq!(other.received(), None, "the other port got nothing");
    assert_contained(&app, &mut counted).await;
}
