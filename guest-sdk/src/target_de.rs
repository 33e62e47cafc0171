//! How a [`Target`] reads itself from a message: a pid number, a name
//! string or a `[registry, key]` pair, told apart by the JSON's own type.
//! (serde's `untagged` would try each variant in turn, building an error
//! for each miss: a cost on every call that names its callee.)

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::messaging::Target;

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TargetVisitor)
    }
}

struct TargetVisitor;

impl<'de> Visitor<'de> for TargetVisitor {
    type Value = Target;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a pid, a name or a [registry, key] pair")
    }

    fn visit_u64<E: de::Error>(self, pid: u64) -> Result<Target, E> {
        Ok(Target::Pid(pid))
    }

    fn visit_i64<E: de::Error>(self, pid: i64) -> Result<Target, E> {
        u64::try_from(pid)
            .map(Target::Pid)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(pid), &self))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Target, E> {
        Ok(Target::Name(name.to_owned()))
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<Target, E> {
        Ok(Target::Name(name))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Target, A::Error> {
        let registry: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let key: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(Target::Via(registry, key))
    }
}

#[cfg(test)]
mod tests {
    use crate::messaging::Target;

    fn read(json: &str) -> Result<Target, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_target_reads_as_its_json_type_says() {
        assert_eq!(read("7"), Ok(Target::Pid(7)));
        assert_eq!(read(r#""db""#), Ok(Target::Name("db".into())));
        assert_eq!(
            read(r#"["r", "k"]"#),
            Ok(Target::Via("r".into(), "k".into()))
        );
        for bad in [
            "-1",
            "1.5",
            "[1]",
            r#"["r"]"#,
            r#"["r", "k", "x"]"#,
            "{}",
            "null",
        ] {
            let err = read(bad).expect_err(bad);
            assert!(
                err.contains("a pid, a name or a [registry, key] pair")
                    || err.contains("invalid type"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_target_round_trips() {
        for target in [
            Target::Pid(3),
            Target::Name("n".into()),
            Target::Via("r".into(), "k".into()),
        ] {
            let json = serde_json::to_string(&target).expect("serialises");
            assert_eq!(read(&json), Ok(target));
        }
    }
}
