//! Declared variable types: what a prompt's `[variables]` table promises
//! about the values its script's `variables` hook returns.
//!
//! Loaders (pyarrow, polars, pandas, Hugging Face `datasets`) need one type
//! per column across every row and every run. A declaration such as
//! `amount = "number"` or `tags = "list<string>"` is checked on every
//! conversation, so a value of another type fails the conversation with a
//! reason naming the variable instead of breaking a loader downstream, and
//! exports type the variable's column from it.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// A scalar or container type a variable may be declared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    String,
    /// Any JSON number (written as a float column).
    Number,
    /// A whole number (an integral float such as `3.0` is accepted).
    Integer,
    Boolean,
    /// A table with string keys (a JSON object; `{}` when empty).
    Object,
}

/// A declared type: a base, or a list of one, maybe optional (`?`: nil allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarType {
    pub base: Base,
    pub list: bool,
    pub optional: bool,
}

impl Base {
    fn parse(s: &str) -> Option<Base> {
        Some(match s {
            "string" => Base::String,
            "number" => Base::Number,
            "integer" => Base::Integer,
            "boolean" => Base::Boolean,
            "object" => Base::Object,
            _ => return None,
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Base::String => "string",
            Base::Number => "number",
            Base::Integer => "integer",
            Base::Boolean => "boolean",
            Base::Object => "object",
        }
    }

    fn accepts(&self, v: &Value) -> bool {
        match self {
            Base::String => v.is_string(),
            Base::Number => v.is_number(),
            Base::Integer => {
                v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            Base::Boolean => v.is_boolean(),
            // An empty Lua table reaches here as `{}` or `[]`: both are an empty object.
            Base::Object => v.is_object() || v.as_array().is_some_and(Vec::is_empty),
        }
    }
}

/// The forms a declaration may take, for messages.
pub const FORMS: &str =
    "string, number, integer, boolean, object, list<…> of one of those, each with an optional `?`";

impl VarType {
    /// Parses `number`, `list<string>`, `object?`…; `None` for anything else.
    pub fn parse(s: &str) -> Option<VarType> {
        let s = s.trim();
        let (s, optional) = match s.strip_suffix('?') {
            Some(rest) => (rest.trim_end(), true),
            None => (s, false),
        };
        if let Some(inner) = s.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
            return Base::parse(inner.trim()).map(|base| VarType {
                base,
                list: true,
                optional,
            });
        }
        Base::parse(s).map(|base| VarType {
            base,
            list: false,
            optional,
        })
    }

    /// Whether `value` (absent: `None`) has this type; otherwise what it is instead.
    pub fn check(&self, value: Option<&Value>) -> Result<(), String> {
        let value = match value {
            None | Some(Value::Null) if self.optional => return Ok(()),
            None => return Err("is missing".into()),
            Some(v) => v,
        };
        let fits = if self.list {
            // An empty Lua table is an empty list here, however it was written.
            match value {
                Value::Array(items) => items.iter().all(|i| self.base.accepts(i)),
                Value::Object(map) => map.is_empty(),
                _ => false,
            }
        } else {
            self.base.accepts(value)
        };
        if fits {
            Ok(())
        } else {
            Err(format!("is {}", describe(value)))
        }
    }

    /// `value` in the canonical form of this type: an empty table as `[]`
    /// for lists and `{}` for objects, an integral float as an integer.
    pub fn normalise(&self, value: Value) -> Value {
        match (&value, self.list, self.base) {
            (Value::Object(m), true, _) if m.is_empty() => Value::Array(Vec::new()),
            (Value::Array(a), false, Base::Object) if a.is_empty() => {
                Value::Object(Default::default())
            }
            (Value::Number(n), false, Base::Integer) if !n.is_i64() && !n.is_u64() => {
                n.as_f64().map_or(value.clone(), |f| Value::from(f as i64))
            }
            _ => value,
        }
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.list {
            write!(f, "list<{}>", self.base.name())?;
        } else {
            f.write_str(self.base.name())?;
        }
        if self.optional {
            f.write_str("?")?;
        }
        Ok(())
    }
}

/// One reason per declared variable whose value in `vars` does not have its
/// declared type, naming the variable.
pub fn type_issues(
    declared: &BTreeMap<String, VarType>,
    vars: &BTreeMap<String, Value>,
) -> Vec<String> {
    declared
        .iter()
        .filter_map(|(name, ty)| {
            ty.check(vars.get(name)).err().map(|what| {
                format!(
                    "variable `{name}` is declared `{ty}` in the front matter's [variables] but the variables hook's value {what}"
                )
            })
        })
        .collect()
}

/// `vars` with each declared variable in its type's canonical form ([`VarType::normalise`]).
pub fn normalise_declared(
    declared: &BTreeMap<String, VarType>,
    mut vars: BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    for (name, ty) in declared {
        if let Some(v) = vars.remove(name) {
            vars.insert(name.clone(), ty.normalise(v));
        }
    }
    vars
}

/// A short description of a JSON value's type, for messages.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a non-integer number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn declarations_parse_and_print_back() {
        for s in [
            "string",
            "number",
            "integer",
            "boolean",
            "object",
            "list<string>",
            "object?",
            "list<integer>?",
        ] {
            assert_eq!(VarType::parse(s).unwrap().to_string(), s);
        }
        for bad in [
            "",
            "text",
            "list<>",
            "list<list<string>>",
            "list<string",
            "?",
        ] {
            assert!(VarType::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn values_are_checked_against_the_declaration() {
        let t = |s| VarType::parse(s).unwrap();
        assert!(t("number").check(Some(&json!(3))).is_ok());
        assert!(t("number").check(Some(&json!(3.5))).is_ok());
        assert_eq!(
            t("number").check(Some(&json!("3"))),
            Err("is a string".into())
        );
        assert!(t("integer").check(Some(&json!(4.0))).is_ok());
        assert_eq!(
            t("integer").check(Some(&json!(4.5))),
            Err("is a non-integer number".into())
        );
        assert_eq!(t("string").check(None), Err("is missing".into()));
        assert!(t("string?").check(None).is_ok());
        assert!(t("list<string>").check(Some(&json!({}))).is_ok());
        assert!(t("list<string>").check(Some(&json!(["a", "b"]))).is_ok());
        assert_eq!(
            t("list<string>").check(Some(&json!(["a", 1]))),
            Err("is a list".into())
        );
        assert!(t("object").check(Some(&json!([]))).is_ok());
        assert_eq!(
            t("object").check(Some(&json!([1]))),
            Err("is a list".into())
        );
    }

    #[test]
    fn issues_name_the_variable_and_what_it_is() {
        let declared: BTreeMap<String, VarType> = [
            ("amount".to_string(), VarType::parse("number").unwrap()),
            ("tags".to_string(), VarType::parse("list<string>").unwrap()),
            ("card".to_string(), VarType::parse("object?").unwrap()),
        ]
        .into();
        let vars: BTreeMap<String, Value> = [
            ("amount".to_string(), json!("12")),
            ("tags".to_string(), json!({})),
        ]
        .into();
        let issues = type_issues(&declared, &vars);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0].contains("`amount` is declared `number`"),
            "{}",
            issues[0]
        );
        assert!(issues[0].ends_with("is a string"), "{}", issues[0]);
        let fixed = normalise_declared(&declared, vars);
        assert_eq!(fixed["tags"], json!([]));
    }

    #[test]
    fn empty_tables_take_the_declared_shape() {
        let t = |s| VarType::parse(s).unwrap();
        assert_eq!(t("list<string>").normalise(json!({})), json!([]));
        assert_eq!(t("object").normalise(json!([])), json!({}));
        assert_eq!(t("integer").normalise(json!(4.0)), json!(4));
        assert_eq!(t("string").normalise(json!("x")), json!("x"));
    }
}
