//! The optional `batch` export: a run of casts in one guest entry, each
//! handled as `handle-cast` would handle it.

use crate::ExitReason;
use crate::adapter::{Adapter, panics_through_the_host};
use crate::bindings::exports::overseer::plugin::batch::Guest as BatchGuest;
use crate::bindings::overseer::plugin::types as wit;
use crate::server::GenServer;

impl<T: GenServer> BatchGuest for Adapter<T> {
    fn handle_casts(msgs: wit::Payload, ends: Vec<u32>) -> wit::CastResult {
        panics_through_the_host();
        let mut result = wit::CastResult::Noreply(wit::Timeout::Infinity);
        let mut start = 0;
        for (index, &end) in ends.iter().enumerate() {
            if index > 0 {
                next_message();
            }
            let Some(msg) = msgs.get(start..end as usize) else {
                let reason = format!(
                    "a batch's message {index} ends at {end}, outside its {} bytes",
                    msgs.len()
                );
                return wit::CastResult::Stop(ExitReason::Error(reason).into());
            };
            start = end as usize;
            result = Self::cast(msg);
            if matches!(result, wit::CastResult::Stop(_)) {
                break;
            }
        }
        result
    }
}

/// Tell the host the next message begins, so that it gets a CPU deadline
/// of its own.
#[cfg(target_arch = "wasm32")]
fn next_message() {
    crate::bindings::overseer::plugin::host::cast_done();
}

/// Natively (the crate's own tests) there is no host to tell.
#[cfg(not(target_arch = "wasm32"))]
fn next_message() {}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::bindings::exports::overseer::plugin::server::Guest;
    use crate::{CastResult, Init};

    /// Adds each cast to its total; a negative one stops it.
    #[derive(Serialize, Deserialize)]
    struct Sum {
        total: i64,
    }

    thread_local! {
        static SEEN: std::cell::RefCell<Vec<i64>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    impl GenServer for Sum {
        const VSN: &'static str = "1.0.0";
        type Args = ();
        type Call = ();
        type Reply = ();
        type Cast = i64;
        type Info = crate::IgnoredAny;

        fn init((): ()) -> Init<Self> {
            Init::ok(Sum { total: 0 })
        }

        fn handle_cast(&mut self, n: i64) -> CastResult {
            SEEN.with(|seen| seen.borrow_mut().push(n));
            if n < 0 {
                return CastResult::stop(ExitReason::error(format!("negative: {n}")));
            }
            self.total += n;
            CastResult::noreply()
        }
    }

    type A = Adapter<Sum>;

    #[test]
    fn a_batch_is_its_casts_in_order_and_ends_at_a_stop() {
        A::init(Vec::new());
        let result = A::handle_casts(b"1223".to_vec(), vec![1, 3, 4]);
        assert!(matches!(result, wit::CastResult::Noreply(_)));
        assert_eq!(A::get_state(), br#"{"total":26}"#);
        let result = A::handle_casts(b"4-15".to_vec(), vec![1, 3, 4]);
        assert!(matches!(result, wit::CastResult::Stop(_)));
        SEEN.with(|seen| assert_eq!(*seen.borrow(), [1, 22, 3, 4, -1], "nothing after the stop"));
    }

    #[test]
    fn a_batch_whose_ends_lie_stops() {
        A::init(Vec::new());
        let result = A::handle_casts(b"12".to_vec(), vec![1, 5]);
        let wit::CastResult::Stop(wit::ExitReason::Error(reason)) = result else {
            panic!("a message past the buffer was handled: {result:?}");
        };
        assert_eq!(reason, "a batch's message 1 ends at 5, outside its 2 bytes");
        assert_eq!(
            A::get_state(),
            br#"{"total":1}"#,
            "the messages before it were handled"
        );
    }
}
