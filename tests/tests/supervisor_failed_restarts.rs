//! Failed restart attempts count toward restart intensity (supervisor_SUITE
//! `one_for_one_escalation`): a child that cannot restart uses up the budget
//! and the supervisor exits with shutdown. The child is a real process whose
//! start function refuses to start it a second time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use overseer::application::WorkerStart;
use overseer::process::{Event, ExitReason, ProcessSpec, Target};
use overseer::runtime::{Plugin, PluginVersion};
use overseer::sandbox::Limits;
use overseer::supervisor::{
    BoxFuture, ChildSpec, StartChild, StartChildError, StartContext, Started, SupervisorFlags,
    SupervisorSpec,
};
use overseer_tests::{WAIT, node, plugins_dir};

/// Starts the worker once; every later start fails.
struct StartsOnce {
    worker: Arc<WorkerStart>,
    starts: AtomicU32,
}

impl StartChild for StartsOnce {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>> {
        if self.starts.fetch_add(1, Ordering::SeqCst) == 0 {
            self.worker.start(ctx)
        } else {
            Box::pin(async { Err(StartChildError::other(RefusedOnPurpose)) })
        }
    }
}

#[derive(Debug)]
struct RefusedOnPurpose;

impl std::fmt::Display for RefusedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused on purpose")
    }
}

impl std::error::Error for RefusedOnPurpose {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_restart_attempts_count_toward_intensity() {
    let node = node();
    let mut events = node.events().subscribe();
    let plugin = PluginVersion::load(node.runtime(), &plugins_dir().join("faulty.wasm"))
        .await
        .unwrap();
    let worker = WorkerStart::new(
        node.processes().clone(),
        ProcessSpec {
            id: "w".into(),
            plugin: Plugin::new(plugin),
            args: b"null".to_vec(),
            name: Some("w".into()),
            via: None,
            limits: Limits::default(),
            policy: Default::default(),
            owner: None,
        },
    );
    let start = Arc::new(StartsOnce {
        worker,
        starts: AtomicU32::new(0),
    });
    let spec = SupervisorSpec {
        id: "sup".into(),
        flags: SupervisorFlags {
            max_restarts: 3,
            max_seconds: 60,
            ..SupervisorFlags::default()
        },
        children: vec![ChildSpec::worker("w", start.clone())],
        ..SupervisorSpec::default()
    };
    let (exits_tx, mut exits) = tokio::sync::mpsc::unbounded_channel();
    let (sup, _abort) = node
        .supervision()
        .start(&spec, Some(exits_tx))
        .await
        .unwrap();

    let _ = node
        .call(
            &Target::Name("w".into()),
            br#"{"crash":"trap"}"#.to_vec(),
            Duration::from_secs(5),
        )
        .await;
    let exit = tokio::time::timeout(WAIT, exits.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.pid, sup.pid());
    assert_eq!(exit.reason, ExitReason::Shutdown);
    // One successful start, then three failed restarts within the budget of
    // three, then the fourth attempt is refused by the intensity check.
    assert_eq!(start.starts.load(Ordering::SeqCst), 4);
    let mut failed = 0;
    let mut reached = false;
    while let Ok(event) = events.try_recv() {
        match &*event {
            Event::ChildStartFailed { id, reason, .. } => {
                assert_eq!((id.as_str(), reason.as_str()), ("w", "refused on purpose"));
                failed += 1;
            }
            Event::RestartIntensityReached { supervisor, child } => {
                assert_eq!((supervisor.as_str(), child.as_str()), ("sup", "w"));
                reached = true;
            }
            _ => {}
        }
    }
    assert_eq!(failed, 3);
    assert!(reached);
}
