//! From the WIT `run` export to a [`Task`]: decode the input, encode the
//! output.

use std::marker::PhantomData;

use crate::Task;
use crate::bindings::{Guest, Payload};

/// Implements the exported `run` function for the task `T`;
/// [`export!`](crate::export) names it. Not meant to be used directly.
pub struct Adapter<T>(PhantomData<T>);

impl<T: Task> Guest for Adapter<T> {
    fn run(input: Payload) -> Result<Payload, String> {
        run::<T>(&input)
    }
}

/// Decode `input`, run the task, encode its output.
fn run<T: Task>(input: &[u8]) -> Result<Vec<u8>, String> {
    // An empty payload is taken as "no input", like `null`.
    let input: &[u8] = if input.is_empty() { b"null" } else { input };
    let input: T::Input = serde_json::from_slice(input)
        .map_err(|err| format!("cannot decode the input: {err} in {}", preview(input)))?;
    let output = T::run(input)?;
    serde_json::to_vec(&output).map_err(|err| format!("cannot encode the output: {err}"))
}

/// The payload as text for an error, cut to a length a log line can carry.
fn preview(payload: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    let text = String::from_utf8_lossy(payload);
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], payload.len()),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    //! The adapter's decoding and encoding, run natively: none of these
    //! paths calls a host import.

    use serde::{Deserialize, Serialize, Serializer};

    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Input {
        Add(i64, i64),
        Fail(String),
        Unencodable,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Output {
        Sum(i64),
        #[serde(serialize_with = "refuse")]
        Broken,
    }

    fn refuse<S: Serializer>(_: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refused"))
    }

    struct Adder;

    impl Task for Adder {
        type Input = Input;
        type Output = Output;

        fn run(input: Input) -> Result<Output, String> {
            match input {
                Input::Add(a, b) => Ok(Output::Sum(a + b)),
                Input::Fail(why) => Err(why),
                Input::Unencodable => Ok(Output::Broken),
            }
        }
    }

    /// Takes `null` (and so an empty payload) as "no input".
    struct Optional;

    impl Task for Optional {
        type Input = Option<u32>;
        type Output = u32;

        fn run(input: Option<u32>) -> Result<u32, String> {
            Ok(input.unwrap_or(7))
        }
    }

    fn ok(result: Result<Payload, String>) -> String {
        String::from_utf8(result.expect("run failed")).unwrap()
    }

    #[test]
    fn decodes_the_input_and_encodes_the_output() {
        assert_eq!(
            ok(Adapter::<Adder>::run(br#"{"add": [2, 3]}"#.to_vec())),
            r#"{"sum":5}"#
        );
    }

    #[test]
    fn empty_input_reads_as_null() {
        assert_eq!(ok(Adapter::<Optional>::run(Vec::new())), "7");
        assert_eq!(ok(Adapter::<Optional>::run(b"null".to_vec())), "7");
        assert_eq!(ok(Adapter::<Optional>::run(b"4".to_vec())), "4");
    }

    #[test]
    fn the_tasks_error_passes_through() {
        assert_eq!(
            Adapter::<Adder>::run(br#"{"fail": "no luck"}"#.to_vec()),
            Err("no luck".to_owned())
        );
    }

    #[test]
    fn undecodable_input_fails_with_a_reason() {
        let err = Adapter::<Adder>::run(br#"{"mul": [2, 3]}"#.to_vec()).unwrap_err();
        assert!(
            err.starts_with("cannot decode the input: unknown variant `mul`"),
            "{err}"
        );
        assert!(err.ends_with(r#" in {"mul": [2, 3]}"#), "{err}");

        let err = Adapter::<Adder>::run(Vec::new()).unwrap_err();
        assert!(err.starts_with("cannot decode the input: "), "{err}");
        assert!(err.ends_with(" in null"), "{err}");

        let err = Adapter::<Adder>::run(b"\xff".to_vec()).unwrap_err();
        assert!(err.starts_with("cannot decode the input: "), "{err}");

        let long = format!("\"{}\"", "é".repeat(500));
        let err = Adapter::<Adder>::run(long.into_bytes()).unwrap_err();
        assert!(err.ends_with("… (1002 bytes)"), "{err}");
    }

    #[test]
    fn unencodable_output_fails_with_a_reason() {
        assert_eq!(
            Adapter::<Adder>::run(br#""unencodable""#.to_vec()),
            Err("cannot encode the output: refused".to_owned())
        );
    }
}
