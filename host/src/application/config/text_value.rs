//! How a value written as text (a variable, `--set`, `config set`) becomes
//! JSON.

use serde_json::Value;

/// The JSON value `text` stands for, where `current` is the value it
/// replaces: text replacing a string stays a string (so `VERSION=1.0`
/// over `version = "0.9"` is `"1.0"`); otherwise text that is JSON is
/// read as JSON (`5`, `true`, `[1, 2]`, `{"a": 1}`, `"quoted"`), and any
/// other text is a string.
pub fn text_value(current: Option<&Value>, text: &str) -> Value {
    if matches!(current, Some(Value::String(_))) {
        return Value::String(text.to_string());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_follows_the_value_it_replaces() {
        assert_eq!(text_value(Some(&json!("0.9")), "1.0"), json!("1.0"));
        assert_eq!(text_value(Some(&json!(3)), "5"), json!(5));
        assert_eq!(text_value(None, "true"), json!(true));
        assert_eq!(text_value(None, "[1, 2]"), json!([1, 2]));
        assert_eq!(text_value(None, "hello"), json!("hello"));
        assert_eq!(text_value(Some(&json!(3)), "many"), json!("many"));
    }
}
