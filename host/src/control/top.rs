//! `GET /top`: the busiest processes over a short window, by compute time,
//! memory, mailbox or message rate, with their restarts; and which plugins
//! crashed lately.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

use super::api::{TopCrashes, TopQuery, TopReply, TopRow, TopSort};
use super::api_error::ApiError;
use super::handlers::Control;
use crate::process::{Event, ProcessSample, Target};

/// The longest window a request may ask for.
const MAX_WINDOW: Duration = Duration::from_secs(10);
/// The most rows a request may ask for.
const MAX_ROWS: usize = 1000;
/// How long to wait for one supervisor's answer about a listed child.
const SUPERVISOR_WAIT: Duration = Duration::from_millis(200);
/// Crash reports looked at for the crash counts.
const CRASHES_LOOKED_AT: usize = 100;

pub(super) async fn top(
    State(control): State<Control>,
    query: Result<Query<TopQuery>, QueryRejection>,
) -> Result<Json<TopReply>, ApiError> {
    let Query(query) = query?;
    let window = Duration::from_millis(query.window_ms).min(MAX_WINDOW);
    let processes = control.node.processes();
    let before: HashMap<_, _> = processes
        .samples()
        .into_iter()
        .map(|s| (s.pid, s))
        .collect();
    tokio::time::sleep(window).await;
    let after = processes.samples();
    let total = after.len();
    let seconds = window.as_secs_f64().max(1e-3);
    let mut rows: Vec<TopRow> = after
        .into_iter()
        .map(|now| row(before.get(&now.pid), now, seconds))
        .collect();
    let key = |r: &TopRow| -> f64 {
        match query.by {
            TopSort::Cpu => r.cpu_percent,
            TopSort::Memory => r.memory_bytes as f64,
            TopSort::Mailbox => r.mailbox as f64,
            TopSort::Messages => r.messages_per_s,
        }
    };
    rows.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.pid.cmp(&b.pid)));
    rows.truncate(query.limit.min(MAX_ROWS));
    for row in &mut rows {
        row.restarts = restarts_of(&control, row).await;
    }
    let mut crashed: BTreeMap<String, usize> = BTreeMap::new();
    for (_, event) in control.events.crashes(None, CRASHES_LOOKED_AT) {
        if let Event::CrashReport { plugin, .. } = &*event {
            *crashed.entry(plugin.clone()).or_default() += 1;
        }
    }
    Ok(Json(TopReply {
        by: query.by,
        window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
        total,
        processes: rows,
        recent_crashes: crashed
            .into_iter()
            .map(|(plugin, count)| TopCrashes { plugin, count })
            .collect(),
    }))
}

fn row(before: Option<&ProcessSample>, now: ProcessSample, seconds: f64) -> TopRow {
    let (busy, messages) = before.map_or((0, 0), |b| {
        (
            now.busy_ns.saturating_sub(b.busy_ns),
            now.messages.saturating_sub(b.messages),
        )
    });
    TopRow {
        pid: now.pid,
        id: now.id,
        plugin: now.plugin,
        vsn: now.vsn,
        cpu_percent: (busy as f64 / 1e9 / seconds * 1000.0).round() / 10.0,
        memory_bytes: now.memory_bytes,
        mailbox: now.mailbox,
        messages_per_s: (messages as f64 / seconds).round(),
        restarts: None,
    }
}

async fn restarts_of(control: &Control, row: &TopRow) -> Option<u32> {
    let parent = control.node.processes().details(row.pid)?.parent?;
    let sup = control.node.supervisor(&Target::Pid(parent))?;
    tokio::time::timeout(SUPERVISOR_WAIT, sup.child_of(row.pid))
        .await
        .ok()?
        .ok()?
        .map(|child| child.restarts)
}
