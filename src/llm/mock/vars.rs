//! Reading the conversation's variables and attributes: looked up by any of
//! several names, made safe to write into a turn.

use std::collections::BTreeMap;

use serde_json::Value;

/// `s` cut to at most `max` bytes, on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A value looked up by any of `keys`, exactly first, then ignoring ASCII case.
pub fn lookup<'v, K: AsRef<str>>(
    map: &'v BTreeMap<String, Value>,
    keys: &[K],
) -> Option<&'v Value> {
    for k in keys {
        if let Some(v) = map.get(k.as_ref())
            && !v.is_null()
        {
            return Some(v);
        }
    }
    for k in keys {
        for (name, v) in map {
            if name.eq_ignore_ascii_case(k.as_ref()) && !v.is_null() {
                return Some(v);
            }
        }
    }
    None
}

/// Text safe to put in the output: one line, no template braces.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.trim().chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        if (c == '{' && out.ends_with('{')) || (c == '}' && out.ends_with('}')) {
            continue;
        }
        out.push(c);
    }
    clip(&out, 200).trim().to_string()
}

/// A value as display text: strings (trimmed), numbers, the first usable item
/// of an array. Booleans, null and objects are not text.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let s = sanitize(s);
            (!s.is_empty()).then_some(s)
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(value_text),
        _ => None,
    }
}

pub fn var_text<K: AsRef<str>>(map: &BTreeMap<String, Value>, keys: &[K]) -> Option<String> {
    lookup(map, keys).and_then(value_text)
}

/// A value as a number: numbers, and strings like "42,50 €" or "$1,234.5".
pub fn value_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let digits: String = s
                .trim()
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',' || *c == '-')
                .collect();
            if digits.is_empty() {
                return None;
            }
            // "1.234,50" / "1,234.50" / "42,5" / "42.5"
            let last_comma = digits.rfind(',');
            let last_dot = digits.rfind('.');
            let normal = match (last_comma, last_dot) {
                (Some(c), Some(d)) if c > d => digits.replace('.', "").replace(',', "."),
                (Some(_), Some(_)) => digits.replace(',', ""),
                (Some(c), None)
                    if digits.len() - c - 1 == 3 && digits.matches(',').count() >= 1 =>
                {
                    digits.replace(',', "")
                }
                (Some(_), None) => digits.replace(',', "."),
                _ => digits,
            };
            normal.parse::<f64>().ok()
        }
        Value::Array(items) => items.first().and_then(value_number),
        _ => None,
    }
    .filter(|f| f.is_finite())
    .map(f64::abs)
}
