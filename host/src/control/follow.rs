//! Following a host's events as they happen: the client side of
//! `GET /events/stream`, which reads server-sent events off one long
//! response.

use http_body_util::BodyExt;
use hyper::Method;
use serde_json::Value;

use super::api::{ErrorReply, EventsQuery, route};
use super::{Client, ClientError};

/// The longest server-sent event the client accepts before it gives up on
/// the stream (a host sends one event per line of JSON, far below this).
const MAX_EVENT_BYTES: usize = 4 << 20;

impl Client {
    /// The kept events numbered after `query.after`, then every new one,
    /// each handed to `each` as JSON (with its `seq`) as it arrives, until
    /// `each` returns false or the host closes the stream (it stops). A
    /// follower that fell too far behind gets `{"event": "lagged",
    /// "missed": N}`.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; an unknown kind is [`ClientError::Failed`] with one
    /// line.
    pub async fn follow_events(
        &self,
        query: &EventsQuery,
        mut each: impl FnMut(Value) -> bool,
    ) -> Result<(), ClientError> {
        let path = self.with_query(route::EVENTS_STREAM, query)?;
        let response = self.open::<()>(Method::GET, &path, None).await?;
        let status = response.status();
        let mut body = response.into_body();
        if !status.is_success() {
            let bytes = body
                .collect()
                .await
                .map_err(|e| self.transport(&e))?
                .to_bytes();
            let message = match serde_json::from_slice::<ErrorReply>(&bytes) {
                Ok(reply) => reply.error,
                Err(_) => format!("the host answered {status}"),
            };
            return Err(ClientError::Failed { status, message });
        }
        let mut pending: Vec<u8> = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                // The host went away mid-stream: the stream is over.
                Err(_) => return Ok(()),
            };
            let Some(data) = frame.data_ref() else {
                continue;
            };
            pending.extend_from_slice(data);
            while let Some(end) = find(&pending, b"\n\n") {
                let event: Vec<u8> = pending.drain(..end + 2).collect();
                if let Some(json) = data_of(&event)
                    && !each(json)
                {
                    return Ok(());
                }
            }
            if pending.len() > MAX_EVENT_BYTES {
                return Err(self.transport(&"an event of the stream is too large"));
            }
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The JSON in one server-sent event's `data:` lines; None for a comment
/// (keep-alive) or data that is not JSON.
fn data_of(event: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(event).ok()?;
    let data: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
        .collect();
    if data.is_empty() {
        return None;
    }
    serde_json::from_str(&data.join("\n")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_data_of_an_event_and_skips_comments() {
        let event = b"id: 3\nevent: crash_report\ndata: {\"seq\":3}\n\n";
        assert_eq!(data_of(event), Some(serde_json::json!({"seq": 3})));
        assert_eq!(data_of(b":\n\n"), None, "a keep-alive");
        assert_eq!(find(b"a\n\nb", b"\n\n"), Some(1));
    }
}
