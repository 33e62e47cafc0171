//! `GET /events` (the kept events, filtered) and `GET /events/stream`
//! (the kept events, then each new one, as server-sent events).

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::{broadcast, watch};

use super::api::{EventsQuery, EventsReply};
use super::api_error::ApiError;
use super::event_filter::EventFilter;
use super::event_log::{Numbered, numbered_json};
use super::handlers::Control;

fn filter_of(query: &EventsQuery) -> Result<EventFilter, ApiError> {
    EventFilter::parse(query.kind.as_deref(), query.plugin.as_deref()).map_err(|message| ApiError {
        status: StatusCode::BAD_REQUEST,
        message,
    })
}

pub(super) async fn events(
    State(control): State<Control>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<EventsReply>, ApiError> {
    let Query(query) = query?;
    let filter = filter_of(&query)?;
    let (events, last) = control.events.after(query.after, &filter);
    Ok(Json(EventsReply { events, last }))
}

pub(super) async fn stream(
    State(control): State<Control>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let Query(mut query) = query?;
    let filter = filter_of(&query)?;
    // A browser that reconnects says which event it saw last.
    if let Some(seen) = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        query.after = query.after.max(seen);
    }
    let (kept, live) = control.events.follow(query.after, &filter);
    let follower = Follower {
        kept: kept.into(),
        live,
        filter,
        closing: control.closing.clone(),
        last: query.after,
    };
    let stream = futures_util::stream::unfold(follower, |mut follower| async move {
        let event = follower.next().await?;
        Some((Ok(event), follower))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One follower's place in the stream.
struct Follower {
    kept: VecDeque<Numbered>,
    live: broadcast::Receiver<Numbered>,
    filter: EventFilter,
    /// Set when the control server shuts down: streams end then, rather
    /// than hold the shutdown up.
    closing: watch::Receiver<bool>,
    last: u64,
}

impl Follower {
    /// The next event to send; None when the host closes.
    async fn next(&mut self) -> Option<SseEvent> {
        if let Some(numbered) = self.kept.pop_front() {
            self.last = numbered.0;
            return Some(sse(&numbered));
        }
        loop {
            if *self.closing.borrow() {
                return None;
            }
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(numbered) => {
                        if numbered.0 <= self.last || !self.filter.matches(&numbered.1) {
                            continue;
                        }
                        self.last = numbered.0;
                        return Some(sse(&numbered));
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        let data = serde_json::json!({"event": "lagged", "missed": missed});
                        return Some(SseEvent::default().event("lagged").data(data.to_string()));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                changed = self.closing.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
            }
        }
    }
}

/// A numbered event as one server-sent event: its number as the id, its
/// kind as the event name, its JSON as the data.
fn sse(numbered: &Numbered) -> SseEvent {
    SseEvent::default()
        .id(numbered.0.to_string())
        .event(numbered.1.kind())
        .data(numbered_json(numbered).to_string())
}
