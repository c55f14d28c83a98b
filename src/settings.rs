//! `convgen.toml`: project defaults that sit below flags and the environment (SPEC §9).
//!
//! Precedence: flags, then the environment, then `convgen.toml` in the working
//! directory, then built-in defaults. The file may set the provider, model,
//! concurrency, retries, timeout, directories, quotas and endpoints, never a
//! key: keys come only from the environment.
//!
//! - Top-level settings ([`SETTINGS`]) default the flag of the same id; among
//!   them the quotas `rpm` and `tpm` (requests and tokens per minute, none by
//!   default) and `max_wait`, how long a run may wait on a quota in all
//!   (seconds or a duration such as `15m`, see [`parse_wait`]), kept in
//!   [`FileSettings::values`] as seconds.
//! - `[azure]` and `[openai]` give the single endpoint of those providers
//!   ([`ENDPOINTS`]), each key standing for an environment variable.
//! - `[[endpoints]]` tables name several endpoints that may serve one run
//!   ([`EndpointSpec`], in [`FileSettings::endpoint_list`]), each with its
//!   provider, address, optional model, quotas and weight. An endpoint's key
//!   stays in the environment: `key_env` names the variable that holds it.
//!
//! Every problem names the file and the line of the offending key.

use std::collections::BTreeMap;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use serde::de::IgnoredAny;

/// The settings file's name, looked up in the working directory.
pub const FILE: &str = "convgen.toml";

/// Top-level settings, in display order. Each is the id of the flag it
/// defaults; clap holds its environment variable and built-in default, so
/// that `convgen config` reads them from there ([`effective`]).
pub const SETTINGS: &[&str] = &[
    "provider",
    "model",
    "concurrency",
    "max_retries",
    "max_attempts",
    "timeout",
    "rpm",
    "tpm",
    "max_wait",
    "data_dir",
    "prompts_dir",
    "scripts_dir",
];

/// One setting as it takes effect, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Effective {
    pub name: String,
    pub value: String,
    pub source: String,
}

/// Every top-level setting as clap resolved it (flags > environment >
/// `convgen.toml` > built-in defaults): each is read from the first of
/// `parsed` whose command has the flag.
pub fn effective(
    parsed: &[(&clap::Command, &clap::ArgMatches)],
    file: &FileSettings,
) -> Vec<Effective> {
    use clap::parser::ValueSource;
    let file_name = file.name();
    SETTINGS
        .iter()
        .filter_map(|key| {
            let (cmd, matches) = parsed
                .iter()
                .find(|(c, _)| c.get_arguments().any(|a| a.get_id() == key))?;
            let arg = cmd.get_arguments().find(|a| a.get_id() == key)?;
            let value = matches
                .get_raw(key)
                .and_then(|mut v| v.next())
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = match matches.value_source(key) {
                Some(ValueSource::CommandLine) => format!("flag --{}", key.replace('_', "-")),
                Some(ValueSource::EnvVariable) => format!(
                    "environment {}",
                    arg.get_env()
                        .map(|e| e.to_string_lossy())
                        .unwrap_or_default()
                ),
                Some(_) if file.values.contains_key(*key) => file_name.clone(),
                Some(_) => "default".to_string(),
                None => "not set".to_string(),
            };
            Some(Effective {
                name: key.to_string(),
                value,
                source,
            })
        })
        .collect()
}

/// A URL as it may be shown: a password (or token) written into it
/// (`https://user:secret@host/…`) is replaced by `***`, the user name kept.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let hidden = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                "***".to_string()
            };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// The single-endpoint settings (`[azure]`, `[openai]` or their variables)
/// and whether each provider's key is set, never its value.
pub fn endpoint_settings(file: &FileSettings) -> Vec<Effective> {
    let set = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    let mut rows: Vec<Effective> = ENDPOINTS
        .iter()
        .map(|(table, key, var)| {
            let (value, source) = match (set(var), file.endpoints.get(*var)) {
                (Some(v), _) => (shown_url(&v), format!("environment {var}")),
                (None, Some(v)) => (shown_url(v), file.name()),
                (None, None) => (String::new(), "not set".to_string()),
            };
            Effective {
                name: format!("{table}.{key}"),
                value,
                source,
            }
        })
        .collect();
    for var in ["AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"] {
        let here = set(var).is_some();
        rows.push(Effective {
            name: var.to_lowercase(),
            value: if here { "(set)".into() } else { String::new() },
            source: if here {
                format!("environment {var}")
            } else {
                "not set".into()
            },
        });
    }
    rows
}

/// Endpoint settings, by table, and the environment variable each stands for.
pub const ENDPOINTS: &[(&str, &str, &str)] = &[
    ("azure", "endpoint", "AZURE_OPENAI_ENDPOINT"),
    ("azure", "deployment", "AZURE_OPENAI_DEPLOYMENT"),
    ("azure", "api_version", "OPENAI_API_VERSION"),
    ("openai", "base_url", "OPENAI_BASE_URL"),
];

/// Bounds of the quota settings, top-level and per endpoint.
pub const RPM_MAX: u64 = 100_000_000;
pub const TPM_MAX: u64 = 10_000_000_000;
/// The longest `max_wait` (and any wait [`parse_wait`] accepts): 7 days.
pub const WAIT_MAX: Duration = Duration::from_secs(7 * 24 * 3600);
/// The largest endpoint `weight`.
pub const WEIGHT_MAX: f64 = 1000.0;

/// Where an `[[endpoints]]` entry sends its requests.
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointKind {
    /// An Azure OpenAI deployment; `api_version` none means the client's default.
    Azure {
        endpoint: String,
        deployment: String,
        api_version: Option<String>,
    },
    /// An OpenAI-compatible server.
    OpenAi { base_url: String },
}

/// One `[[endpoints]]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSpec {
    /// Unique among the file's endpoints: `[A-Za-z0-9_.-]`, at most 40.
    pub name: String,
    pub kind: EndpointKind,
    /// The name of the environment variable holding the key (never the key);
    /// always set for Azure.
    pub key_env: Option<String>,
    pub model: Option<String>,
    /// Requests per minute this endpoint allows, when configured.
    pub rpm: Option<u64>,
    /// Tokens per minute this endpoint allows, when configured.
    pub tpm: Option<u64>,
    /// Share of the work, relative to the others; 1 unless given.
    pub weight: f64,
}

/// Keys an `[[endpoints]]` table may hold.
pub const ENDPOINT_KEYS: &[&str] = &[
    "name",
    "provider",
    "base_url",
    "endpoint",
    "deployment",
    "api_version",
    "key_env",
    "model",
    "rpm",
    "tpm",
    "weight",
];

/// A problem in `convgen.toml`: the file, the line of the key at fault, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SettingsError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl SettingsError {
    fn at(path: &Utf8Path, line: usize, message: String) -> Self {
        Self {
            file: path.to_string(),
            line: Some(line),
            message,
        }
    }

    fn file(path: &Utf8Path, message: String) -> Self {
        Self {
            file: path.to_string(),
            line: None,
            message,
        }
    }
}

/// What `convgen.toml` set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSettings {
    /// The file, when there is one.
    pub path: Option<Utf8PathBuf>,
    /// Flag id → value, for top-level settings (`max_wait` in seconds).
    pub values: BTreeMap<&'static str, String>,
    /// Environment variable → value, for the `[azure]`/`[openai]` endpoint.
    pub endpoints: BTreeMap<&'static str, String>,
    /// The `[[endpoints]]` tables, in file order.
    pub endpoint_list: Vec<EndpointSpec>,
}

impl FileSettings {
    /// `convgen.toml` in `dir`, or nothing when there is none.
    pub fn load(dir: &Utf8Path) -> Result<Self, SettingsError> {
        let path = dir.join(FILE);
        // A regular file only (a FIFO would hold every command), size-bounded.
        use crate::regular_file::{self, Links, MAX_SOURCE_BYTES};
        match regular_file::read(&path, Links::Follow, MAX_SOURCE_BYTES) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| SettingsError::file(&path, "not valid UTF-8".into()))?;
                parse(&path, &text)
            }
            Err(e) if e.is_missing() => Ok(Self::default()),
            Err(e) => Err(SettingsError::file(
                &path,
                format!("cannot read it: {}", e.reason()),
            )),
        }
    }

    /// The file's name as messages give it (`convgen.toml` when there is none).
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| FILE.to_string(), |p| p.to_string())
    }

    /// An endpoint value: the environment first, then the file.
    pub fn endpoint(&self, var: &str) -> Option<String> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.endpoints.get(var).cloned())
    }
}

/// The line of every key (and of every array item) in the file, from the
/// parser's spans: a key inside the third `[[endpoints]]` table is found
/// there, not at the first line that happens to start with the same word.
struct Lines {
    at: BTreeMap<Vec<String>, usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut at = BTreeMap::new();
        if let Ok(doc) = toml::de::DeTable::parse(text) {
            Self::walk_table(text, doc.get_ref(), &mut Vec::new(), &mut at);
        }
        Self { at }
    }

    fn line(text: &str, offset: usize) -> usize {
        text[..offset.min(text.len())].matches('\n').count() + 1
    }

    fn walk_table(
        text: &str,
        table: &toml::de::DeTable<'_>,
        path: &mut Vec<String>,
        at: &mut BTreeMap<Vec<String>, usize>,
    ) {
        for (key, value) in table {
            path.push(key.get_ref().to_string());
            at.insert(path.clone(), Self::line(text, key.span().start));
            Self::walk_value(text, value.get_ref(), path, at);
            path.pop();
        }
    }

    fn walk_value(
        text: &str,
        value: &toml::de::DeValue<'_>,
        path: &mut Vec<String>,
        at: &mut BTreeMap<Vec<String>, usize>,
    ) {
        match value {
            toml::de::DeValue::Table(t) => Self::walk_table(text, t, path, at),
            toml::de::DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    at.insert(path.clone(), Self::line(text, item.span().start));
                    Self::walk_value(text, item.get_ref(), path, at);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// The line of `path` (keys, array items by index), or of its nearest
    /// enclosing key, or 1.
    fn of(&self, path: &[&str]) -> usize {
        (1..=path.len())
            .rev()
            .find_map(|n| {
                let key: Vec<String> = path[..n].iter().map(|s| s.to_string()).collect();
                self.at.get(&key).copied()
            })
            .unwrap_or(1)
    }

    /// The keys of `table` at `path`, in file order.
    fn ordered<'t>(
        &self,
        path: &[&str],
        table: &'t toml::Table,
    ) -> Vec<(&'t str, &'t toml::Value)> {
        let mut keys: Vec<(&str, &toml::Value)> =
            table.iter().map(|(k, v)| (k.as_str(), v)).collect();
        keys.sort_by_key(|(k, _)| {
            let mut p = path.to_vec();
            p.push(k);
            (self.of(&p), *k)
        });
        keys
    }
}

fn looks_secret(key: &str) -> bool {
    let k = key.to_lowercase();
    k.contains("key") || k.contains("secret") || k.contains("token") || k.contains("password")
}

fn suggestion(key: &str, known: &[&str]) -> String {
    crate::suggest::closest(key, known).map_or_else(
        || format!("; known keys: {}", known.join(", ")),
        |k| format!("; did you mean `{k}`?"),
    )
}

const KEYS_FROM_ENV: &str =
    "keys come only from the environment (AZURE_OPENAI_API_KEY, OPENAI_API_KEY)";

/// Parses the file's text; every problem names the file and line.
pub fn parse(path: &Utf8Path, text: &str) -> Result<FileSettings, SettingsError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| Lines::line(text, s.start));
        SettingsError::at(path, line, e.message().trim().to_string())
    })?;
    let lines = Lines::new(text);
    known_keys_only(path, text, &lines, &table)?;
    let mut out = FileSettings {
        path: Some(path.to_owned()),
        ..FileSettings::default()
    };
    for (key, value) in lines.ordered(&[], &table) {
        let at = |msg: String| SettingsError::at(path, lines.of(&[key]), msg);
        if let Some(setting) = SETTINGS.iter().find(|s| **s == key) {
            out.values
                .insert(setting, check_value(key, value).map_err(at)?);
        } else if key == "azure" || key == "openai" {
            let Some(inner) = value.as_table() else {
                return Err(at(format!("`{key}` must be a table: [{key}]")));
            };
            for (k, v) in lines.ordered(&[key], inner) {
                let at = |msg: String| SettingsError::at(path, lines.of(&[key, k]), msg);
                // `known_keys_only` refused every other key.
                let Some((_, _, var)) = ENDPOINTS
                    .iter()
                    .find(|(t, name, _)| *t == key && *name == k)
                else {
                    continue;
                };
                let Some(s) = v.as_str() else {
                    return Err(at(format!("`{key}.{k}` must be a string")));
                };
                out.endpoints.insert(var, s.to_string());
            }
        } else if key == "endpoints" {
            out.endpoint_list = parse_endpoints(path, &lines, value)?;
        }
        // `known_keys_only` refused every other key.
    }
    Ok(out)
}

/// The keys `convgen.toml` may hold, as serde sees them: any other key, at
/// any depth, is refused by `deny_unknown_fields`, in file order (toml's
/// `preserve_order`). The values are checked afterwards, one by one, with
/// messages that say what each must be.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for their keys only
struct KnownKeys {
    provider: Option<IgnoredAny>,
    model: Option<IgnoredAny>,
    concurrency: Option<IgnoredAny>,
    max_retries: Option<IgnoredAny>,
    max_attempts: Option<IgnoredAny>,
    timeout: Option<IgnoredAny>,
    rpm: Option<IgnoredAny>,
    tpm: Option<IgnoredAny>,
    max_wait: Option<IgnoredAny>,
    data_dir: Option<IgnoredAny>,
    prompts_dir: Option<IgnoredAny>,
    scripts_dir: Option<IgnoredAny>,
    azure: Option<AzureKeys>,
    openai: Option<OpenAiKeys>,
    endpoints: Option<Vec<EndpointKeys>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AzureKeys {
    endpoint: Option<IgnoredAny>,
    deployment: Option<IgnoredAny>,
    api_version: Option<IgnoredAny>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct OpenAiKeys {
    base_url: Option<IgnoredAny>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EndpointKeys {
    name: Option<IgnoredAny>,
    provider: Option<IgnoredAny>,
    base_url: Option<IgnoredAny>,
    endpoint: Option<IgnoredAny>,
    deployment: Option<IgnoredAny>,
    api_version: Option<IgnoredAny>,
    key_env: Option<IgnoredAny>,
    model: Option<IgnoredAny>,
    rpm: Option<IgnoredAny>,
    tpm: Option<IgnoredAny>,
    weight: Option<IgnoredAny>,
}

/// How messages name the `[[endpoints]]` entry at `index` (from 0): by its
/// name when it has one, else by its number.
fn endpoint_who(table: &toml::Table, index: &str) -> String {
    let number = index.parse::<usize>().map_or(0, |i| i + 1);
    let name = table
        .get("endpoints")
        .and_then(|v| v.get(number.saturating_sub(1)))
        .and_then(|t| t.get("name"))
        .and_then(|n| n.as_str());
    match name {
        Some(name) => format!("endpoint `{name}`"),
        None => format!("endpoint #{number}"),
    }
}

/// Refuses, in file order, a key that looks like a secret, then any key
/// serde's [`KnownKeys`] does not know, naming where it is and the nearest
/// known key. The shapes (`[azure]` a table, `[[endpoints]]` tables) are
/// checked first, so that serde's refusal can only be about a key.
fn known_keys_only(
    path: &Utf8Path,
    text: &str,
    lines: &Lines,
    table: &toml::Table,
) -> Result<(), SettingsError> {
    let mut keys: Vec<(Vec<String>, usize)> =
        lines.at.iter().map(|(k, l)| (k.clone(), *l)).collect();
    keys.sort_by_key(|(k, l)| (*l, k.len()));
    for (key, line) in &keys {
        let Some(last) = key.last() else { continue };
        let in_endpoint = key.first().is_some_and(|k| k == "endpoints");
        if last.parse::<usize>().is_ok() || (in_endpoint && last == "key_env") {
            continue;
        }
        if looks_secret(last) {
            let name = key
                .iter()
                .filter(|k| k.parse::<usize>().is_err())
                .cloned()
                .collect::<Vec<_>>()
                .join(".");
            let message = if in_endpoint {
                let who = endpoint_who(table, key.get(1).map_or("0", String::as_str));
                format!(
                    "{who}: `{last}` looks like a secret; keys never go in {FILE}: put the key in an environment variable and name it with key_env = \"VARIABLE_NAME\""
                )
            } else {
                format!("`{name}` looks like a secret; {KEYS_FROM_ENV}")
            };
            return Err(SettingsError::at(path, *line, message));
        }
    }
    for key in ["azure", "openai"] {
        if let Some(v) = table.get(key)
            && !v.is_table()
        {
            return Err(SettingsError::at(
                path,
                lines.of(&[key]),
                format!("`{key}` must be a table: [{key}]"),
            ));
        }
    }
    if let Some(v) = table.get("endpoints") {
        endpoint_tables(path, lines, v)?;
    }
    let Err(e) = toml::from_str::<KnownKeys>(text) else {
        return Ok(());
    };
    let line = e.span().map_or(1, |s| Lines::line(text, s.start));
    // serde words it "unknown field `x`, expected …".
    let Some(unknown) = e
        .message()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(k, _)| k.to_string())
    else {
        return Err(SettingsError::at(
            path,
            line,
            e.message().trim().to_string(),
        ));
    };
    let at = keys
        .iter()
        .find(|(k, l)| *l == line && k.last() == Some(&unknown))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| vec![unknown.clone()]);
    let message = match at.as_slice() {
        [table_name, k] if table_name == "azure" || table_name == "openai" => {
            let known: Vec<&str> = ENDPOINTS
                .iter()
                .filter(|(t, _, _)| t == table_name)
                .map(|(_, k, _)| *k)
                .collect();
            format!("unknown key `{table_name}.{k}`{}", suggestion(k, &known))
        }
        [first, index, k] if first == "endpoints" => {
            let who = endpoint_who(table, index);
            format!("{who}: unknown key `{k}`{}", suggestion(k, ENDPOINT_KEYS))
        }
        _ => {
            let top: Vec<&str> = SETTINGS
                .iter()
                .copied()
                .chain(["azure", "openai", "endpoints"])
                .collect();
            format!("unknown key `{unknown}`{}", suggestion(&unknown, &top))
        }
    };
    Err(SettingsError::at(path, line, message))
}

/// The `[[endpoints]]` array, in file order.
fn parse_endpoints(
    path: &Utf8Path,
    lines: &Lines,
    value: &toml::Value,
) -> Result<Vec<EndpointSpec>, SettingsError> {
    let mut out: Vec<EndpointSpec> = Vec::new();
    let mut names: Vec<(String, usize)> = Vec::new();
    for (i, table) in endpoint_tables(path, lines, value)?.into_iter().enumerate() {
        let index = i.to_string();
        let spec = parse_endpoint(path, lines, &index, table, &names)?;
        names.push((spec.name.clone(), lines.of(&["endpoints", &index, "name"])));
        out.push(spec);
    }
    Ok(out)
}

/// The `[[endpoints]]` tables, or what is wrong with their shape.
fn endpoint_tables<'v>(
    path: &Utf8Path,
    lines: &Lines,
    value: &'v toml::Value,
) -> Result<Vec<&'v toml::Table>, SettingsError> {
    let at_key = |msg: String| SettingsError::at(path, lines.of(&["endpoints"]), msg);
    let Some(items) = value.as_array() else {
        return Err(at_key(
            "`endpoints` must be an array of tables, each written [[endpoints]]".into(),
        ));
    };
    if items.is_empty() {
        return Err(at_key(
            "`endpoints` is empty; add [[endpoints]] tables or remove it".into(),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_table().ok_or_else(|| {
                SettingsError::at(
                    path,
                    lines.of(&["endpoints", &i.to_string()]),
                    format!(
                        "`endpoints` entry #{} is not a table; write each endpoint as an [[endpoints]] table",
                        i + 1
                    ),
                )
            })
        })
        .collect()
}

const AZURE_ONLY: &[&str] = &["endpoint", "deployment", "api_version"];
const OPENAI_ONLY: &[&str] = &["base_url"];

/// One `[[endpoints]]` table; `names` are the earlier ones and their lines.
fn parse_endpoint(
    path: &Utf8Path,
    lines: &Lines,
    index: &str,
    table: &toml::Table,
    names: &[(String, usize)],
) -> Result<EndpointSpec, SettingsError> {
    let number = index.parse::<usize>().map_or(0, |i| i + 1);
    let header = lines.of(&["endpoints", index]);
    let line_of = |k: &str| lines.of(&["endpoints", index, k]);
    let who = match table.get("name").and_then(|v| v.as_str()) {
        Some(name) => format!("endpoint `{name}`"),
        None => format!("endpoint #{number}"),
    };
    let at = |k: &str, msg: String| SettingsError::at(path, line_of(k), format!("{who}: {msg}"));
    let keys = lines.ordered(&["endpoints", index], table);

    // The name: present, well formed, unique.
    let Some(name_value) = table.get("name") else {
        return Err(SettingsError::at(
            path,
            header,
            format!("{who} has no `name`; give each endpoint a unique name, e.g. name = \"east\""),
        ));
    };
    let name = name_value
        .as_str()
        .filter(|n| {
            !n.is_empty()
                && n.len() <= 40
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
        .ok_or_else(|| {
            at(
                "name",
                "`name` must be 1 to 40 letters, digits, `_`, `.` or `-`".into(),
            )
        })?
        .to_string();
    if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
        return Err(at(
            "name",
            format!(
                "the name `{name}` is already used by the endpoint at line {first}; names must be unique"
            ),
        ));
    }

    // The provider, and no key of the other one.
    let Some(provider_value) = table.get("provider") else {
        return Err(SettingsError::at(
            path,
            header,
            format!("{who} has no `provider`; give provider = \"azure\" or provider = \"openai\""),
        ));
    };
    let provider = match provider_value.as_str() {
        Some(p @ ("azure" | "openai")) => p,
        _ => {
            return Err(at(
                "provider",
                "`provider` must be \"azure\" or \"openai\"".into(),
            ));
        }
    };
    let (foreign, other, own) = if provider == "azure" {
        (
            OPENAI_ONLY,
            "openai",
            "endpoint, deployment and api_version",
        )
    } else {
        (AZURE_ONLY, "azure", "base_url")
    };
    for (k, _) in &keys {
        if foreign.contains(k) {
            return Err(at(
                k,
                format!(
                    "`{k}` is an {other} setting, but this endpoint has provider = \"{provider}\" (which takes {own})"
                ),
            ));
        }
    }

    // Values, in file order.
    let mut spec = EndpointSpec {
        name,
        kind: EndpointKind::OpenAi {
            base_url: String::new(),
        },
        key_env: None,
        model: None,
        rpm: None,
        tpm: None,
        weight: 1.0,
    };
    let mut strings: BTreeMap<&str, String> = BTreeMap::new();
    for (k, v) in &keys {
        let k = *k;
        let bad = |msg: String| at(k, msg);
        match k {
            "name" | "provider" => {}
            "base_url" | "endpoint" => {
                strings.insert(k, check_url(k, v).map_err(bad)?);
            }
            "deployment" | "api_version" | "model" => {
                let s = v
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| bad(format!("`{k}` must be a non-empty string")))?;
                strings.insert(k, s.to_string());
            }
            "key_env" => spec.key_env = Some(check_key_env(v).map_err(bad)?),
            "rpm" => spec.rpm = Some(check_count(k, v, RPM_MAX).map_err(bad)?),
            "tpm" => spec.tpm = Some(check_count(k, v, TPM_MAX).map_err(bad)?),
            "weight" => {
                spec.weight = v
                    .as_float()
                    .or(v.as_integer().map(|i| i as f64))
                    .filter(|w| w.is_finite() && *w > 0.0 && *w <= WEIGHT_MAX)
                    .ok_or_else(|| {
                        bad(format!(
                            "`weight` must be a number above 0 and at most {WEIGHT_MAX}"
                        ))
                    })?;
            }
            _ => unreachable!("checked against ENDPOINT_KEYS"),
        }
    }
    spec.model = strings.remove("model");

    // What the provider needs.
    let needs = |k: &str, hint: &str| {
        SettingsError::at(
            path,
            header,
            format!("{who} (provider = \"{provider}\") needs `{k}`{hint}"),
        )
    };
    spec.kind = if provider == "azure" {
        let endpoint = strings.remove("endpoint").ok_or_else(|| {
            needs(
                "endpoint",
                ", e.g. endpoint = \"https://NAME.openai.azure.com\"",
            )
        })?;
        let deployment = strings
            .remove("deployment")
            .ok_or_else(|| needs("deployment", ""))?;
        if spec.key_env.is_none() {
            return Err(needs(
                "key_env",
                ", the name of the environment variable holding its key, e.g. key_env = \"AZURE_OPENAI_API_KEY\"",
            ));
        }
        EndpointKind::Azure {
            endpoint,
            deployment,
            api_version: strings.remove("api_version"),
        }
    } else {
        let base_url = strings
            .remove("base_url")
            .ok_or_else(|| needs("base_url", ", e.g. base_url = \"http://127.0.0.1:8000/v1\""))?;
        EndpointKind::OpenAi { base_url }
    };
    Ok(spec)
}

/// An endpoint's URL: http(s), a host, no whitespace, no credentials. The
/// value is never echoed, since a URL may carry a secret.
fn check_url(key: &str, value: &toml::Value) -> Result<String, String> {
    let msg = || format!("`{key}` must be a URL starting with http:// or https://");
    let url = value.as_str().ok_or_else(msg)?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(msg)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(msg());
    }
    if authority.contains('@') {
        return Err(format!(
            "`{key}` must not carry credentials (user:password@); keys never go in {FILE}"
        ));
    }
    Ok(url.to_string())
}

/// `key_env`: the name of an environment variable, never a key. The value is
/// never echoed, in case it is one.
fn check_key_env(value: &toml::Value) -> Result<String, String> {
    let name = value.as_str().filter(|s| {
        let mut chars = s.chars();
        s.len() <= 64
            && chars
                .next()
                .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    });
    name.map(str::to_string).ok_or_else(|| {
        format!(
            "`key_env` must be the NAME of the environment variable that holds the key (capitals, digits and _, like AZURE_OPENAI_API_KEY), not the key itself: keys never go in {FILE}"
        )
    })
}

/// A whole number from 1 to `max`.
fn check_count(key: &str, value: &toml::Value, max: u64) -> Result<u64, String> {
    value
        .as_integer()
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("`{key}` must be a whole number from 1 to {max}"))
}

const DURATION_FORMS: &str = "give seconds (900) or a form like 15m, 1h30m";

/// A wait: a bare number of seconds (`900`, `2.5`) or number+unit parts with
/// units `h`, `m`, `s`, `ms`, largest first (`15m`, `1h30m`, `2.5m`, `500ms`,
/// `1h 30m`). Above 0 and at most 7 days.
pub fn parse_wait(text: &str) -> Result<Duration, String> {
    const NS: [(&str, u128); 4] = [
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ];
    let t = text.trim();
    if t.is_empty() {
        return Err(format!(
            "an empty value is not a duration: {DURATION_FORMS}"
        ));
    }
    let bad = || format!("`{t}` is not a duration: {DURATION_FORMS}");
    let too_long = || format!("`{t}` is too long a wait: at most 7 days (168h)");
    if t.starts_with('-') {
        return Err(format!(
            "`{t}` is not a wait: it must be above 0; {DURATION_FORMS}"
        ));
    }
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let max = WAIT_MAX.as_nanos();
    let mut total: u128 = 0;
    let mut next_unit = 0; // units go largest first, each once
    let mut rest = t;
    let mut first = true;
    while !rest.is_empty() {
        let (int, after) = rest.split_at(digits(rest));
        if int.is_empty() {
            return Err(bad());
        }
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let (f, a) = a.split_at(digits(a));
                if f.is_empty() {
                    return Err(bad());
                }
                (f, a)
            }
            None => ("", after),
        };
        let after = after.trim_start();
        let (unit, after) = after.split_at(
            after
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(after.len()),
        );
        let unit_ns = if unit.is_empty() && first && after.trim().is_empty() {
            next_unit = NS.len();
            1_000_000_000
        } else {
            let Some(u) = NS.iter().position(|(n, _)| *n == unit) else {
                return Err(bad());
            };
            if u < next_unit {
                return Err(bad());
            }
            next_unit = u + 1;
            NS[u].1
        };
        let int = int.trim_start_matches('0');
        if int.len() > 20 {
            return Err(too_long());
        }
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let frac = &frac[..frac.len().min(18)];
        let part: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse::<u128>().map_err(|_| bad())? * unit_ns / 10u128.pow(frac.len() as u32)
        };
        total = whole
            .checked_mul(unit_ns)
            .and_then(|n| n.checked_add(part))
            .and_then(|n| n.checked_add(total))
            .filter(|n| *n <= max)
            .ok_or_else(too_long)?;
        first = false;
        rest = after.trim_start();
    }
    if total == 0 {
        return Err(format!("`{t}` is not a wait: it must be above 0"));
    }
    Ok(Duration::from_nanos(total as u64))
}

/// `n / unit` as a decimal, without trailing zeros: 2500, 1000 → "2.5".
fn decimal(n: u128, unit: u128) -> String {
    let (whole, frac) = (n / unit, n % unit);
    if frac == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let frac = format!("{frac:0width$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// A wait for messages, in the form [`parse_wait`] reads back: "500ms",
/// "2.5s", "90s" (under two minutes, unless whole minutes), "15m", "1h30m".
pub fn format_wait(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".into();
    }
    if ns < 1_000_000_000 {
        return format!("{}ms", decimal(ns, 1_000_000));
    }
    let secs = d.as_secs();
    let sub = d.subsec_nanos();
    if secs < 120 && (sub != 0 || !secs.is_multiple_of(60)) {
        return format!("{}s", decimal(ns, 1_000_000_000));
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || sub > 0 {
        let ns = u128::from(s) * 1_000_000_000 + u128::from(sub);
        out.push_str(&format!("{}s", decimal(ns, 1_000_000_000)));
    }
    out
}

/// A wait as seconds, the way `values` keeps it: "900", "2.5".
fn seconds_text(d: Duration) -> String {
    decimal(d.as_nanos(), 1_000_000_000)
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
        "rpm" => int(1, RPM_MAX as i64),
        "tpm" => int(1, TPM_MAX as i64),
        "max_wait" => {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(f) => f.to_string(),
                _ => {
                    return Err(
                        "`max_wait` must be seconds (900) or a duration like 15m, 1h30m".into(),
                    );
                }
            };
            parse_wait(&text)
                .map(seconds_text)
                .map_err(|e| format!("`max_wait`: {e}"))
        }
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
        parse(Utf8Path::new("convgen.toml"), text).map_err(|e| e.to_string())
    }

    /// Asserts `text` is refused with a message holding `needle`.
    #[track_caller]
    fn refused(text: &str, needle: &str) {
        let e = p(text).unwrap_err();
        assert!(e.contains(needle), "{e}");
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
        refused("concurrency = 0\n", "from 1 to 256");
        refused("provider = \"bedrock\"\n", "one of");
        refused("timeout = -1\n", "seconds");
        refused("data_dir = 3\n", "non-empty string");
        assert!(p("model = \n").unwrap_err().starts_with("convgen.toml:1:"));
    }

    #[test]
    fn reads_quotas_and_normalises_max_wait() {
        let s = p("rpm = 600\ntpm = 10000000000\nmax_wait = \"15m\"\n").unwrap();
        assert_eq!(s.values["rpm"], "600");
        assert_eq!(s.values["tpm"], "10000000000");
        assert_eq!(s.values["max_wait"], "900");
        for (text, secs) in [
            ("max_wait = 90", "90"),
            ("max_wait = 2.5", "2.5"),
            ("max_wait = \"1h30m\"", "5400"),
            ("max_wait = \"2.5m\"", "150"),
            ("max_wait = \"500ms\"", "0.5"),
        ] {
            assert_eq!(p(text).unwrap().values["max_wait"], secs, "{text}");
        }
        let e = p("model = \"m\"\nrpm = 0\n").unwrap_err();
        assert_eq!(
            e,
            "convgen.toml:2: `rpm` must be a whole number from 1 to 100000000"
        );
        let e = p("tpm = 10000000001\n").unwrap_err();
        assert_eq!(
            e,
            "convgen.toml:1: `tpm` must be a whole number from 1 to 10000000000"
        );
        refused("rpm = 1.5\n", "whole number");
        let e = p("\nmax_wait = \"15x\"\n").unwrap_err();
        assert_eq!(
            e,
            "convgen.toml:2: `max_wait`: `15x` is not a duration: give seconds (900) or a form like 15m, 1h30m"
        );
        refused("max_wait = 0\n", "above 0");
        refused("max_wait = -3\n", "above 0");
        refused("max_wait = nan\n", "not a duration");
        refused("max_wait = inf\n", "not a duration");
        refused("max_wait = \"169h\"\n", "7 days");
        refused("max_wait = true\n", "`max_wait` must be");
        for key in ["rpm", "tpm", "max_wait"] {
            assert!(SETTINGS.contains(&key), "{key}");
        }
    }

    #[test]
    fn parse_wait_reads_seconds_and_units() {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        for (text, want) in [
            ("900", s(900)),
            ("2.5", ms(2500)),
            (" 90 ", s(90)),
            ("15m", s(900)),
            ("90s", s(90)),
            ("1h", s(3600)),
            ("1h30m", s(5400)),
            ("1h 30m", s(5400)),
            ("1h 30 m 5s", s(5405)),
            ("2.5m", s(150)),
            ("500ms", ms(500)),
            ("1m0.5s", ms(60_500)),
            ("0.000000001", Duration::from_nanos(1)),
            ("168h", s(7 * 24 * 3600)),
            ("007s", s(7)),
        ] {
            assert_eq!(parse_wait(text), Ok(want), "{text}");
        }
        let forms = "give seconds (900) or a form like 15m, 1h30m";
        assert_eq!(
            parse_wait("15x").unwrap_err(),
            format!("`15x` is not a duration: {forms}")
        );
        assert_eq!(
            parse_wait("").unwrap_err(),
            format!("an empty value is not a duration: {forms}")
        );
        assert_eq!(
            parse_wait("-5").unwrap_err(),
            format!("`-5` is not a wait: it must be above 0; {forms}")
        );
        assert_eq!(
            parse_wait("0m").unwrap_err(),
            "`0m` is not a wait: it must be above 0"
        );
        assert_eq!(
            parse_wait("169h").unwrap_err(),
            "`169h` is too long a wait: at most 7 days (168h)"
        );
        for bad in [
            "  ", "NaN", "inf", "infinity", "1e3", "15 x", "1d", "h", "1.s", ".5s", "1h30",
            "30m1h", "1m1m", "1.5.3s", "+5", "5 5", "1h-30m", "15min",
        ] {
            assert!(parse_wait(bad).is_err(), "{bad}");
        }
        assert!(parse_wait("0").unwrap_err().contains("above 0"));
        assert!(parse_wait("0.0000000001s").unwrap_err().contains("above 0"));
        assert!(
            parse_wait("99999999999999999999999999999h")
                .unwrap_err()
                .contains("7 days")
        );
        assert!(parse_wait("168h0.001s").unwrap_err().contains("7 days"));
    }

    #[test]
    fn format_wait_reads_back() {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        for (d, want) in [
            (s(900), "15m"),
            (s(90), "90s"),
            (s(60), "1m"),
            (s(150), "2m30s"),
            (s(3600), "1h"),
            (s(5400), "1h30m"),
            (s(3605), "1h5s"),
            (ms(2500), "2.5s"),
            (ms(500), "500ms"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_nanos(1), "0.000001ms"),
            (ms(60_500), "60.5s"),
            (ms(150_250), "2m30.25s"),
            (s(7 * 24 * 3600), "168h"),
            (Duration::ZERO, "0s"),
        ] {
            assert_eq!(format_wait(d), want, "{d:?}");
            if !d.is_zero() {
                assert_eq!(parse_wait(want), Ok(d), "{want}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn waits_round_trip(ns in 1u64..=7 * 24 * 3600 * 1_000_000_000) {
            let d = Duration::from_nanos(ns);
            proptest::prop_assert_eq!(parse_wait(&format_wait(d)), Ok(d));
            proptest::prop_assert_eq!(parse_wait(&seconds_text(d)), Ok(d));
        }
    }

    const TWO: &str = r#"concurrency = 4

[[endpoints]]
name = "east"
provider = "azure"
endpoint = "https://east.openai.azure.com"
deployment = "gpt-4o"
key_env = "AZURE_EAST_KEY"
rpm = 300
tpm = 150000

[[endpoints]]
name = "local.vllm-1"
provider = "openai"
base_url = "http://127.0.0.1:8000/v1"
model = "qwen"
weight = 0.5

[[endpoints]]
name = "west"
provider = "azure"
endpoint = "https://west.openai.azure.com"
deployment = "gpt-4o"
api_version = "2024-10-21"
key_env = "AZURE_WEST_KEY"
weight = 3
"#;

    #[test]
    fn reads_endpoint_tables_in_file_order() {
        let s = p(TWO).unwrap();
        assert_eq!(s.values["concurrency"], "4");
        assert_eq!(
            s.endpoint_list,
            vec![
                EndpointSpec {
                    name: "east".into(),
                    kind: EndpointKind::Azure {
                        endpoint: "https://east.openai.azure.com".into(),
                        deployment: "gpt-4o".into(),
                        api_version: None,
                    },
                    key_env: Some("AZURE_EAST_KEY".into()),
                    model: None,
                    rpm: Some(300),
                    tpm: Some(150_000),
                    weight: 1.0,
                },
                EndpointSpec {
                    name: "local.vllm-1".into(),
                    kind: EndpointKind::OpenAi {
                        base_url: "http://127.0.0.1:8000/v1".into(),
                    },
                    key_env: None,
                    model: Some("qwen".into()),
                    rpm: None,
                    tpm: None,
                    weight: 0.5,
                },
                EndpointSpec {
                    name: "west".into(),
                    kind: EndpointKind::Azure {
                        endpoint: "https://west.openai.azure.com".into(),
                        deployment: "gpt-4o".into(),
                        api_version: Some("2024-10-21".into()),
                    },
                    key_env: Some("AZURE_WEST_KEY".into()),
                    model: None,
                    rpm: None,
                    tpm: None,
                    weight: 3.0,
                },
            ]
        );
        // Inline tables are tables too; an OpenAI key variable is optional.
        let s = p("endpoints = [{ name = \"a\", provider = \"openai\", base_url = \"https://api.openai.com/v1\", key_env = \"OPENAI_API_KEY\" }]\n").unwrap();
        assert_eq!(s.endpoint_list.len(), 1);
        assert_eq!(
            s.endpoint_list[0].key_env.as_deref(),
            Some("OPENAI_API_KEY")
        );
        assert!(p("model = \"m\"\n").unwrap().endpoint_list.is_empty());
    }

    /// `TWO` with `line` (1-based) replaced, or with `extra` inserted after it.
    fn edit(line: usize, replace: Option<&str>, extra: &str) -> String {
        let mut lines: Vec<&str> = TWO.lines().collect();
        match replace {
            Some(r) => lines[line - 1] = r,
            None => lines.insert(line, extra),
        }
        lines.join("\n") + "\n"
    }

    #[test]
    fn endpoint_errors_name_the_line_of_the_key() {
        let cases: Vec<(String, &str)> = vec![
            // A key of the wrong provider, in the third table (the first
            // table's keys of the same names are at lines 3 to 10).
            (
                edit(23, None, "base_url = \"http://x\""),
                "convgen.toml:24: endpoint `west`: `base_url` is an openai setting, but this endpoint has provider = \"azure\" (which takes endpoint, deployment and api_version)",
            ),
            (
                edit(15, None, "deployment = \"d\""),
                "convgen.toml:16: endpoint `local.vllm-1`: `deployment` is an azure setting, but this endpoint has provider = \"openai\" (which takes base_url)",
            ),
            (
                edit(16, Some("modle = \"qwen\""), ""),
                "convgen.toml:16: endpoint `local.vllm-1`: unknown key `modle`; did you mean `model`?",
            ),
            (
                edit(25, Some("api_key = \"abc\""), ""),
                "convgen.toml:25: endpoint `west`: `api_key` looks like a secret; keys never go in convgen.toml: put the key in an environment variable and name it with key_env = \"VARIABLE_NAME\"",
            ),
            (
                edit(25, Some("key_env = \"sk-proj-abcdef0123456789\""), ""),
                "convgen.toml:25: endpoint `west`: `key_env` must be the NAME of the environment variable that holds the key (capitals, digits and _, like AZURE_OPENAI_API_KEY), not the key itself: keys never go in convgen.toml",
            ),
            (
                edit(20, Some("name = \"east\""), ""),
                "convgen.toml:20: endpoint `east`: the name `east` is already used by the endpoint at line 4; names must be unique",
            ),
            (
                edit(13, Some("name = \"local vllm\""), ""),
                "convgen.toml:13: endpoint `local vllm`: `name` must be 1 to 40 letters, digits, `_`, `.` or `-`",
            ),
            (
                edit(13, Some("# no name"), ""),
                "convgen.toml:12: endpoint #2 has no `name`; give each endpoint a unique name, e.g. name = \"east\"",
            ),
            (
                edit(21, Some("# no provider"), ""),
                "convgen.toml:19: endpoint `west` has no `provider`; give provider = \"azure\" or provider = \"openai\"",
            ),
            (
                edit(14, Some("provider = \"mock\""), ""),
                "convgen.toml:14: endpoint `local.vllm-1`: `provider` must be \"azure\" or \"openai\"",
            ),
            (
                edit(15, Some("base_url = \"127.0.0.1:8000\""), ""),
                "convgen.toml:15: endpoint `local.vllm-1`: `base_url` must be a URL starting with http:// or https://",
            ),
            (
                edit(15, Some("# no base_url"), ""),
                "convgen.toml:12: endpoint `local.vllm-1` (provider = \"openai\") needs `base_url`, e.g. base_url = \"http://127.0.0.1:8000/v1\"",
            ),
            (
                edit(7, Some("# no deployment"), ""),
                "convgen.toml:3: endpoint `east` (provider = \"azure\") needs `deployment`",
            ),
            (
                edit(6, Some("# no endpoint"), ""),
                "convgen.toml:3: endpoint `east` (provider = \"azure\") needs `endpoint`, e.g. endpoint = \"https://NAME.openai.azure.com\"",
            ),
            (
                edit(8, Some("# no key_env"), ""),
                "convgen.toml:3: endpoint `east` (provider = \"azure\") needs `key_env`, the name of the environment variable holding its key, e.g. key_env = \"AZURE_OPENAI_API_KEY\"",
            ),
            (
                edit(9, Some("rpm = 0"), ""),
                "convgen.toml:9: endpoint `east`: `rpm` must be a whole number from 1 to 100000000",
            ),
            (
                edit(10, Some("tpm = \"lots\""), ""),
                "convgen.toml:10: endpoint `east`: `tpm` must be a whole number from 1 to 10000000000",
            ),
            (
                edit(17, Some("weight = 0"), ""),
                "convgen.toml:17: endpoint `local.vllm-1`: `weight` must be a number above 0 and at most 1000",
            ),
            (
                edit(16, Some("model = \"\""), ""),
                "convgen.toml:16: endpoint `local.vllm-1`: `model` must be a non-empty string",
            ),
            (
                edit(7, Some("deployment = 4"), ""),
                "convgen.toml:7: endpoint `east`: `deployment` must be a non-empty string",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(p(&text).unwrap_err(), want, "\n{text}");
        }
    }

    #[test]
    fn endpoint_values_are_checked() {
        let one = |body: &str| p(&format!("\n[[endpoints]]\nname = \"a\"\n{body}\n"));
        let azure =
            "provider = \"azure\"\nendpoint = \"https://r.openai.azure.com\"\ndeployment = \"d\"\n";
        for key_env in [
            "sk-abcdefghijklmnopqrstuvwxyz0123456789",
            "azure_key",
            "1KEY",
            "MY-KEY",
            "",
            &"A".repeat(65),
        ] {
            let e = one(&format!("{azure}key_env = \"{key_env}\"")).unwrap_err();
            assert!(
                e.starts_with("convgen.toml:7: endpoint `a`: `key_env` must be the NAME"),
                "{e}"
            );
            assert!(key_env.is_empty() || !e.contains(key_env), "{e}");
        }
        assert!(one(&format!("{azure}key_env = \"{}\"", "A".repeat(64))).is_ok());
        assert!(one(&format!("{azure}key_env = \"_K2\"")).is_ok());
        let e = one(&format!("{azure}key_env = 3")).unwrap_err();
        assert!(e.contains("`key_env` must be the NAME"), "{e}");
        // URLs: a scheme, a host, no credentials, never echoed.
        let url = |u: &str| one(&format!("provider = \"openai\"\nbase_url = \"{u}\""));
        assert!(url("https://api.openai.com/v1").is_ok());
        assert!(url("http://localhost:11434/v1").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "http:///v1",
            "https://a b",
            "localhost:8000",
        ] {
            let e = url(bad).unwrap_err();
            assert!(
                e.starts_with("convgen.toml:5: endpoint `a`: `base_url` must be a URL"),
                "{e}"
            );
        }
        let e = url("https://user:s3cret@host/v1").unwrap_err();
        assert_eq!(
            e,
            "convgen.toml:5: endpoint `a`: `base_url` must not carry credentials (user:password@); keys never go in convgen.toml"
        );
        assert!(!e.contains("s3cret"));
        let e = one(
            "provider = \"azure\"\nendpoint = \"r.openai.azure.com\"\ndeployment = \"d\"\nkey_env = \"K\"",
        )
        .unwrap_err();
        assert!(
            e.starts_with("convgen.toml:5: endpoint `a`: `endpoint` must be a URL"),
            "{e}"
        );
        // Weights and quotas at their bounds.
        let openai = "provider = \"openai\"\nbase_url = \"http://h/v1\"\n";
        for (body, ok) in [
            ("weight = 1000", true),
            ("weight = 1000.5", false),
            ("weight = 0.001", true),
            ("weight = -1", false),
            ("weight = nan", false),
            ("weight = \"2\"", false),
            ("rpm = 100000000", true),
            ("rpm = 100000001", false),
            ("rpm = -5", false),
            ("tpm = 10000000000", true),
            ("tpm = 10000000001", false),
            ("tpm = 1", true),
        ] {
            assert_eq!(one(&format!("{openai}{body}")).is_ok(), ok, "{body}");
        }
        let w = one(&format!("{openai}weight = 1000")).unwrap();
        assert_eq!(w.endpoint_list[0].weight, 1000.0);
        // A name of 40 is fine, 41 is not.
        let named = |n: &str| p(&format!("[[endpoints]]\nname = \"{n}\"\n{openai}"));
        assert!(named(&"a".repeat(40)).is_ok());
        assert!(named(&"a".repeat(41)).unwrap_err().contains("1 to 40"));
        assert!(named("").unwrap_err().contains("1 to 40"));
        let e = p(&format!("[[endpoints]]\nname = 3\n{openai}")).unwrap_err();
        assert_eq!(
            e,
            "convgen.toml:2: endpoint #1: `name` must be 1 to 40 letters, digits, `_`, `.` or `-`"
        );
    }

    #[test]
    fn endpoints_must_be_an_array_of_tables() {
        assert_eq!(
            p("model = \"m\"\nendpoints = []\n").unwrap_err(),
            "convgen.toml:2: `endpoints` is empty; add [[endpoints]] tables or remove it"
        );
        assert_eq!(
            p("endpoints = [\n  { name = \"a\", provider = \"openai\", base_url = \"http://h\" },\n  \"b\",\n]\n")
                .unwrap_err(),
            "convgen.toml:3: `endpoints` entry #2 is not a table; write each endpoint as an [[endpoints]] table"
        );
        assert_eq!(
            p("[endpoints]\nname = \"a\"\n").unwrap_err(),
            "convgen.toml:1: `endpoints` must be an array of tables, each written [[endpoints]]"
        );
        refused("endpoints = \"a\"\n", "must be an array of tables");
        let e = p("endpoint = 1\n").unwrap_err();
        assert_eq!(
            e,
            "convgen.toml:1: unknown key `endpoint`; did you mean `endpoints`?"
        );
    }

    #[test]
    fn passwords_in_urls_are_not_shown() {
        assert_eq!(
            shown_url("https://bob:s3cret@proxy.example:8443/v1?x=1"),
            "https://bob:***@proxy.example:8443/v1?x=1"
        );
        assert_eq!(shown_url("http://tok@h/v1"), "http://***@h/v1");
        assert_eq!(
            shown_url("http://127.0.0.1:8000/v1"),
            "http://127.0.0.1:8000/v1"
        );
        assert_eq!(shown_url("not a url"), "not a url");
        assert_eq!(shown_url("https://h/p@q"), "https://h/p@q");
    }

    #[test]
    fn unknown_keys_at_any_depth_are_refused_in_file_order() {
        let text = "model = \"m\"\n[openai]\nbase_ur = \"x\"\n[[endpoints]]\nnam = \"a\"\n";
        assert_eq!(
            p(text).unwrap_err(),
            "convgen.toml:3: unknown key `openai.base_ur`; did you mean `base_url`?"
        );
        let text = "[[endpoints]]\nname = \"east\"\nprovider = \"openai\"\nbase_url = \"http://a\"\nwieght = 2\n";
        assert_eq!(
            p(text).unwrap_err(),
            "convgen.toml:5: endpoint `east`: unknown key `wieght`; did you mean `weight`?"
        );
        // A key that looks like a secret is refused as that, wherever it is.
        let e = p("[openai]\nbase_url = \"http://a\"\napi_key = \"sk-1\"\n").unwrap_err();
        assert!(
            e.starts_with("convgen.toml:3: `openai.api_key` looks like a secret"),
            "{e}"
        );
    }

    #[test]
    fn keys_in_tables_point_at_their_own_line() {
        // `endpoint` also appears in [[endpoints]]; the [azure] one is found.
        let text = "[[endpoints]]\nname = \"a\"\nprovider = \"azure\"\nendpoint = \"https://a\"\ndeployment = \"d\"\nkey_env = \"K\"\n[azure]\nendpoint = 4\n";
        assert_eq!(
            p(text).unwrap_err(),
            "convgen.toml:8: `azure.endpoint` must be a string"
        );
        // Dotted keys too.
        assert_eq!(
            p("model = \"m\"\nopenai.base_ur = \"x\"\n").unwrap_err(),
            "convgen.toml:2: unknown key `openai.base_ur`; did you mean `base_url`?"
        );
        // The first problem in the file is the one reported.
        let e = p("zzz = 1\naaa = 2\n").unwrap_err();
        assert!(e.starts_with("convgen.toml:1: unknown key `zzz`"), "{e}");
    }
}
