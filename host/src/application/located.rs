//! A value with where it was written, when the format can tell: TOML
//! gives byte spans (for line numbers in errors), JSON gives none. One type
//! for both, so that a child spec is read by the same code from a manifest
//! and from `start-child`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

// The names `toml` recognises to hand out a value's span (those of
// `serde_spanned::Spanned`, which only works with `toml`).
const NAME: &str = "$__serde_spanned_private_Spanned";
const START: &str = "$__serde_spanned_private_start";
const END: &str = "$__serde_spanned_private_end";
const VALUE: &str = "$__serde_spanned_private_value";

/// A table (TOML) or object (JSON) `T`, with its byte span in the source
/// when the format gives one.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// Where it was written, in bytes (TOML only).
    pub span: Option<Range<usize>>,
    /// The value.
    pub value: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_struct(NAME, &[START, END, VALUE], LocatedVisitor(PhantomData))
    }
}

struct LocatedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LocatedVisitor<T> {
    type Value = Located<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
        let first: Option<String> = map.next_key()?;
        if first.as_deref() != Some(START) {
            // A plain map (JSON): it is `T` itself, its first key read.
            let value =
                T::deserialize(de::value::MapAccessDeserializer::new(Replay { first, map }))?;
            return Ok(Located { span: None, value });
        }
        let start: usize = map.next_value()?;
        expect_key(&mut map, END)?;
        let end: usize = map.next_value()?;
        expect_key(&mut map, VALUE)?;
        let value: T = map.next_value()?;
        Ok(Located {
            span: Some(start..end),
            value,
        })
    }
}

fn expect_key<'de, A: MapAccess<'de>>(map: &mut A, want: &'static str) -> Result<(), A::Error> {
    match map.next_key::<String>()? {
        Some(key) if key == want => Ok(()),
        _ => Err(de::Error::missing_field(want)),
    }
}

/// A map whose first key has been read already: hands it out again, then
/// the rest.
struct Replay<A> {
    first: Option<String>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}
