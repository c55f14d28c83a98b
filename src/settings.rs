//! `convgen.toml`: project defaults that sit below flags and the environment (SPEC §9).
//!
//! Precedence: flags, then the environment, then `convgen.toml` in the working
//! directory, then built-in defaults. The file may set the provider, model,
//! concurrency, retries, timeout, directories and endpoints, never a key: keys
//! come only from the environment.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

/// The settings file's name, looked up in the working directory.
pub const FILE: &str = "convgen.toml";

/// One setting the file may hold: its key, the flag it defaults, and the
/// environment variable that overrides it.
pub struct Setting {
    pub key: &'static str,
    pub flag: &'static str,
    pub env: &'static str,
    pub default: &'static str,
}

/// Top-level settings, in display order.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "provider",
        flag: "provider",
        env: "CONVGEN_PROVIDER",
        default: "auto",
    },
    Setting {
        key: "model",
        flag: "model",
        env: "CONVGEN_MODEL",
        default: "",
    },
    Setting {
        key: "concurrency",
        flag: "concurrency",
        env: "",
        default: "8",
    },
    Setting {
        key: "max_retries",
        flag: "max_retries",
        env: "",
        default: "5",
    },
    Setting {
        key: "max_attempts",
        flag: "max_attempts",
        env: "",
        default: "3",
    },
    Setting {
        key: "timeout",
        flag: "timeout",
        env: "",
        default: "120",
    },
    Setting {
        key: "data_dir",
        flag: "data_dir",
        env: "CONVGEN_DATA_DIR",
        default: "batches",
    },
    Setting {
        key: "prompts_dir",
        flag: "prompts_dir",
        env: "CONVGEN_PROMPTS_DIR",
        default: "prompts",
    },
    Setting {
        key: "scripts_dir",
        flag: "scripts_dir",
        env: "CONVGEN_SCRIPTS_DIR",
        default: "scripts",
    },
];

/// Endpoint settings, by table, and the environment variable each stands for.
pub const ENDPOINTS: &[(&str, &str, &str)] = &[
    ("azure", "endpoint", "AZURE_OPENAI_ENDPOINT"),
    ("azure", "deployment", "AZURE_OPENAI_DEPLOYMENT"),
    ("azure", "api_version", "OPENAI_API_VERSION"),
    ("openai", "base_url", "OPENAI_BASE_URL"),
];

/// What `convgen.toml` set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSettings {
    /// The file, when there is one.
    pub path: Option<Utf8PathBuf>,
    /// Flag id → value, for top-level settings.
    pub values: BTreeMap<&'static str, String>,
    /// Environment variable → value, for endpoints.
    pub endpoints: BTreeMap<&'static str, String>,
}

impl FileSettings {
    /// `convgen.toml` in `dir`, or nothing when there is none.
    pub fn load(dir: &Utf8Path) -> Result<Self, String> {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text =
                    String::from_utf8(bytes).map_err(|_| format!("{path}: not valid UTF-8"))?;
                parse(&path, &text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{path}: cannot read it: {e}")),
        }
    }

    /// An endpoint value: the environment first, then the file.
    pub fn endpoint(&self, var: &str) -> Option<String> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.endpoints.get(var).cloned())
    }
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

fn looks_secret(key: &str) -> bool {
    let k = key.to_lowercase();
    k.contains("key") || k.contains("secret") || k.contains("token") || k.contains("password")
}

fn suggestion(key: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| (crate::prompt::edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_else(|| format!("; known keys: {}", known.join(", ")))
}

/// Parses the file's text; every problem names the file and line.
pub fn parse(path: &Utf8Path, text: &str) -> Result<FileSettings, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        format!("{path}:{line}: {}", e.message().trim())
    })?;
    let mut out = FileSettings {
        path: Some(path.to_owned()),
        ..FileSettings::default()
    };
    let top_keys: Vec<&str> = SETTINGS
        .iter()
        .map(|s| s.key)
        .chain(["azure", "openai"])
        .collect();
    for (key, value) in &table {
        let at = |msg: String| format!("{path}:{}: {msg}", line_of(text, key));
        if looks_secret(key) {
            return Err(at(format!(
                "`{key}` looks like a secret; keys come only from the environment (AZURE_OPENAI_API_KEY, OPENAI_API_KEY)"
            )));
        }
        if let Some(setting) = SETTINGS.iter().find(|s| s.key == key) {
            out.values
                .insert(setting.flag, check_value(key, value).map_err(at)?);
        } else if key == "azure" || key == "openai" {
            let Some(inner) = value.as_table() else {
                return Err(at(format!("`{key}` must be a table: [{key}]")));
            };
            let known: Vec<&str> = ENDPOINTS
                .iter()
                .filter(|(t, _, _)| t == key)
                .map(|(_, k, _)| *k)
                .collect();
            for (k, v) in inner {
                let at = |msg: String| format!("{path}:{}: {msg}", line_of(text, k));
                if looks_secret(k) {
                    return Err(at(format!(
                        "`{key}.{k}` looks like a secret; keys come only from the environment (AZURE_OPENAI_API_KEY, OPENAI_API_KEY)"
                    )));
                }
                let Some((_, _, var)) = ENDPOINTS.iter().find(|(t, name, _)| t == key && name == k)
                else {
                    return Err(at(format!(
                        "unknown key `{key}.{k}`{}",
                        suggestion(k, &known)
                    )));
                };
                let Some(s) = v.as_str() else {
                    return Err(at(format!("`{key}.{k}` must be a string")));
                };
                out.endpoints.insert(var, s.to_string());
            }
        } else {
            return Err(at(format!(
                "unknown key `{key}`{}",
                suggestion(key, &top_keys)
            )));
        }
    }
    Ok(out)
}

fn check_value(key: &str, value: &toml::Value) -> Result<String, String> {
    let int = |lo: i64, hi: i64| match value.as_integer() {
        Some(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
        _ => Err(format!("`{key}` must be a whole number from {lo} to {hi}")),
    };
    match key {
        "provider" => match value.as_str() {
            Some(p @ ("auto" | "azure" | "openai" | "mock")) => Ok(p.to_string()),
            _ => Err("`provider` must be one of \"auto\", \"azure\", \"openai\", \"mock\"".into()),
        },
        "concurrency" => int(1, 256),
        "max_retries" => int(0, 50),
        "max_attempts" => int(1, 20),
        "timeout" => match value.as_float().or(value.as_integer().map(|i| i as f64)) {
            Some(t) if t > 0.0 && t <= 3600.0 => Ok(t.to_string()),
            _ => Err("`timeout` must be a number of seconds from 0 to 3600".into()),
        },
        _ => value
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("`{key}` must be a non-empty string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<FileSettings, String> {
        parse(Utf8Path::new("convgen.toml"), text)
    }

    #[test]
    fn reads_settings_and_endpoints() {
        let s = p("provider = \"openai\"\nmodel = \"m\"\nconcurrency = 16\ntimeout = 30\ndata_dir = \"out\"\n[openai]\nbase_url = \"http://127.0.0.1:8000/v1\"\n[azure]\nendpoint = \"https://r.openai.azure.com\"\n").unwrap();
        assert_eq!(s.values["provider"], "openai");
        assert_eq!(s.values["concurrency"], "16");
        assert_eq!(s.values["timeout"], "30");
        assert_eq!(s.values["data_dir"], "out");
        assert_eq!(s.endpoints["OPENAI_BASE_URL"], "http://127.0.0.1:8000/v1");
        assert_eq!(
            s.endpoints["AZURE_OPENAI_ENDPOINT"],
            "https://r.openai.azure.com"
        );
    }

    #[test]
    fn refuses_keys_unknown_keys_and_bad_values() {
        let e = p("model = \"m\"\napi_key = \"sk-1\"\n").unwrap_err();
        assert!(
            e.starts_with("convgen.toml:2: `api_key` looks like a secret"),
            "{e}"
        );
        assert!(!e.contains("sk-1"));
        let e = p("[azure]\nkey = \"x\"\n").unwrap_err();
        assert!(e.contains("`azure.key` looks like a secret"), "{e}");
        let e = p("concurency = 4\n").unwrap_err();
        assert!(
            e.contains("unknown key `concurency`; did you mean `concurrency`?"),
            "{e}"
        );
        let e = p("[openai]\nbase = \"x\"\n").unwrap_err();
        assert!(e.contains("unknown key `openai.base`"), "{e}");
        assert!(
            p("concurrency = 0\n")
                .unwrap_err()
                .contains("from 1 to 256")
        );
        assert!(
            p("provider = \"bedrock\"\n")
                .unwrap_err()
                .contains("one of")
        );
        assert!(p("timeout = -1\n").unwrap_err().contains("seconds"));
        assert!(
            p("data_dir = 3\n")
                .unwrap_err()
                .contains("non-empty string")
        );
        assert!(p("model = \n").unwrap_err().starts_with("convgen.toml:1:"));
    }
}
