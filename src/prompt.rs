//! Markdown prompts: TOML front matter, system instructions and the scenario catalog.
//!
//! A prompt is the domain expert's artefact. Parsing is pure (bytes in, `Prompt`
//! or one error naming the file and line out) so every malformed case is refused
//! before any generation starts, and is unit-tested without a disk.

use std::collections::BTreeMap;
use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::vartype::{FORMS, VarType};

/// The front-matter keys a prompt may set.
pub const KNOWN_KEYS: &[&str] = &[
    "title",
    "language",
    "roles",
    "turns",
    "timestamps",
    "name",
    "version",
    "script",
    "start",
    "temperature",
    "max_tokens",
    "mode",
    "catalog",
    "variables",
];

/// Level-2 headings taken as the scenario catalog (compared case-insensitively)
/// unless the front matter names another with `catalog = "…"`.
pub const CATALOG_HEADINGS: &[&str] = &[
    "Scenarios",
    "Escenarios",
    "Escenaris",
    "Cenários",
    "Cenarios",
    "Scénarios",
    "Scenari",
    "Szenarien",
    "Scenario's",
];

/// The largest conversation length a prompt may ask for.
pub const MAX_TURNS: u32 = 500;

/// How the LLM is asked for a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptMode {
    /// The whole conversation in one request.
    Whole,
    /// One request per utterance, with the conversation so far.
    Turns,
}

/// One entry of the scenario catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub weight: f64,
    /// Attributes from the scenario's `toml` block other than `weight`.
    pub attrs: BTreeMap<String, Value>,
    /// The scenario's markdown text (may hold `{{placeholders}}`).
    pub text: String,
    /// Line of the `###` heading, for messages.
    pub line: usize,
}

/// A parsed, validated prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The file it was read from, as given.
    pub path: Utf8PathBuf,
    pub name: String,
    pub title: String,
    pub language: String,
    pub roles: Vec<String>,
    pub turns: u32,
    pub timestamps: bool,
    /// The author's version label, when the front matter sets one.
    pub version: Option<String>,
    /// The script path the front matter names, when it does.
    pub script: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub mode: PromptMode,
    /// Everything outside the catalog: the system instructions.
    pub system: String,
    pub scenarios: Vec<Scenario>,
    /// The line where each `{{placeholder}}` first appears.
    pub placeholder_lines: BTreeMap<String, usize>,
    /// `{{` that open no placeholder convgen can fill (line, text as written):
    /// sent as they are, they would reach the model unfilled.
    pub malformed: Vec<(usize, String)>,
    /// The `[variables]` table: the declared type of each script variable.
    pub variables: BTreeMap<String, VarType>,
    /// Hex sha256 of the file's bytes: the prompt's identity.
    pub sha256: String,
}

impl Prompt {
    /// The scenario with this id.
    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// The catalog's ids, in file order.
    pub fn scenario_ids(&self) -> Vec<&str> {
        self.scenarios.iter().map(|s| s.id.as_str()).collect()
    }
}

/// What is wrong with a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptProblem {
    Unreadable(String),
    NotUtf8,
    NoFrontMatter,
    UnclosedFrontMatter,
    InvalidToml(String),
    UnknownKey {
        key: String,
        suggestion: Option<String>,
    },
    MissingKey(&'static str),
    WrongType {
        key: String,
        expected: &'static str,
    },
    InvalidValue {
        key: String,
        message: String,
    },
    TooFewTurns(i64),
    TooManyTurns(i64),
    TooFewRoles(usize),
    DuplicateRole(String),
    InvalidName(String),
    NoCatalog,
    NoNamedCatalog(String),
    SecondCatalog,
    EmptyCatalog,
    InvalidHeading(String),
    InvalidId(String),
    DuplicateId {
        id: String,
        first_line: usize,
    },
    InvalidAttrs(String),
    UnclosedAttrs,
    InvalidWeight(String),
}

impl fmt::Display for PromptProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PromptProblem::*;
        match self {
            Unreadable(e) => write!(f, "cannot read the prompt: {e}"),
            NotUtf8 => write!(f, "the prompt is not valid UTF-8; save it as UTF-8"),
            NoFrontMatter => write!(
                f,
                "no front matter: a prompt starts with a `+++` line, TOML settings, then a closing `+++` line"
            ),
            UnclosedFrontMatter => {
                write!(
                    f,
                    "the front matter is not closed: add a `+++` line after the settings"
                )
            }
            InvalidToml(m) => write!(f, "invalid front matter: {m}"),
            UnknownKey { key, suggestion } => {
                write!(f, "unknown front-matter key `{key}`")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => write!(f, "; known keys: {}", KNOWN_KEYS.join(", ")),
                }
            }
            MissingKey(k) => write!(f, "the front matter has no `{k}`; it is required"),
            WrongType { key, expected } => write!(f, "`{key}` must be {expected}"),
            InvalidValue { key, message } => write!(f, "invalid `{key}`: {message}"),
            TooFewTurns(n) => write!(f, "`turns` is {n}; a conversation needs at least 2 turns"),
            TooManyTurns(n) => write!(f, "`turns` is {n}; at most {MAX_TURNS} are supported"),
            TooFewRoles(n) => write!(
                f,
                "`roles` lists {n} role(s); a conversation needs at least two, e.g. [\"agent\", \"client\"]"
            ),
            DuplicateRole(r) => write!(f, "role `{r}` is listed twice in `roles`"),
            InvalidName(n) => write!(
                f,
                "prompt name `{n}` is not usable in batch ids: use letters, digits, `_` and `-` (set `name` in the front matter)"
            ),
            NoCatalog => write!(
                f,
                "no scenario catalog: add a `## Scenarios` section (or {}; or name your heading with `catalog = \"…\"` in the front matter) with `### id: title` entries",
                CATALOG_HEADINGS[1..]
                    .iter()
                    .map(|h| format!("`## {h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            NoNamedCatalog(c) => write!(
                f,
                "no `## {c}` heading, which the front matter's `catalog` names as the scenario catalog"
            ),
            SecondCatalog => write!(
                f,
                "a second scenario catalog; keep all scenarios under one heading"
            ),
            EmptyCatalog => write!(
                f,
                "the scenario catalog is empty: add at least one `### id: title` entry"
            ),
            InvalidHeading(h) => write!(
                f,
                "scenario heading `### {h}` is not of the form `### id: title`"
            ),
            InvalidId(id) => write!(
                f,
                "invalid scenario id `{id}`: use lowercase letters, digits, `_` and `-`"
            ),
            DuplicateId { id, first_line } => {
                write!(
                    f,
                    "duplicate scenario id `{id}` (first defined on line {first_line})"
                )
            }
            InvalidAttrs(m) => write!(f, "invalid scenario attributes: {m}"),
            UnclosedAttrs => write!(f, "the scenario's ```toml block is not closed"),
            InvalidWeight(w) => write!(f, "invalid weight {w}: it must be a number greater than 0"),
        }
    }
}

/// A refused prompt: the file, the line where it applies, and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PromptError {
    pub file: String,
    pub line: Option<usize>,
    pub problem: PromptProblem,
}

impl fmt::Display for PromptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

/// Reads and parses a prompt file.
pub fn load(path: &Utf8Path) -> Result<Prompt, PromptError> {
    let bytes = std::fs::read(path).map_err(|e| PromptError {
        file: path.to_string(),
        line: None,
        problem: PromptProblem::Unreadable(e.to_string()),
    })?;
    parse(path, &bytes)
}

/// Hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// True when `s` is a valid scenario id (`[a-z0-9_-]+`).
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// True when `s` can name a prompt inside batch ids and folder names.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses a prompt from its bytes; `path` names it in messages and gives the default name.
pub fn parse(path: &Utf8Path, bytes: &[u8]) -> Result<Prompt, PromptError> {
    let file = path.to_string();
    let err = |line: Option<usize>, problem| PromptError {
        file: file.clone(),
        line,
        problem,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        err(Some(line), PromptProblem::NotUtf8)
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();

    // Front matter: the first non-blank line must be `+++`.
    let open = lines.iter().position(|l| !l.trim().is_empty());
    let open = match open {
        Some(i) if lines[i].trim_end() == "+++" => i,
        Some(i) => return Err(err(Some(i + 1), PromptProblem::NoFrontMatter)),
        None => return Err(err(Some(1), PromptProblem::NoFrontMatter)),
    };
    let close = lines[open + 1..]
        .iter()
        .position(|l| l.trim_end() == "+++")
        .map(|i| i + open + 1)
        .ok_or_else(|| err(Some(open + 1), PromptProblem::UnclosedFrontMatter))?;
    let front_lines = &lines[open + 1..close];
    let front =
        FrontMatter::parse(front_lines, open + 2, path).map_err(|(line, p)| err(line, p))?;

    let body_start = close + 1;
    let body = &lines[body_start..];
    let (system, scenarios) = parse_body(body, body_start + 1, front.catalog.as_deref())
        .map_err(|(line, p)| err(Some(line), p))?;
    let mut placeholder_lines = BTreeMap::new();
    let mut malformed = Vec::new();
    for (i, line) in body.iter().enumerate() {
        let n = body_start + 1 + i;
        scan_placeholders(line, |name, _| {
            placeholder_lines.entry(name.to_string()).or_insert(n);
        });
        malformed.extend(leftovers(line).into_iter().map(|text| (n, text)));
    }

    Ok(Prompt {
        path: path.to_owned(),
        name: front.name,
        title: front.title,
        language: front.language,
        roles: front.roles,
        turns: front.turns,
        timestamps: front.timestamps,
        version: front.version,
        script: front.script,
        start: front.start,
        temperature: front.temperature,
        max_tokens: front.max_tokens,
        mode: front.mode,
        system,
        scenarios,
        placeholder_lines,
        malformed,
        variables: front.variables,
        sha256: sha256_hex(bytes),
    })
}

/// The validated front matter.
struct FrontMatter {
    name: String,
    title: String,
    language: String,
    roles: Vec<String>,
    turns: u32,
    timestamps: bool,
    version: Option<String>,
    script: Option<String>,
    start: Option<DateTime<Utc>>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    mode: PromptMode,
    catalog: Option<String>,
    variables: BTreeMap<String, VarType>,
}

type Located = (Option<usize>, PromptProblem);

/// The front matter as TOML gives it: only the known keys (serde refuses the
/// rest, naming it), each value with its place in the text for messages. The
/// values are checked one by one in [`FrontMatter::parse`], whose messages say
/// what each key must be.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    title: Option<Spanned<toml::Value>>,
    language: Option<Spanned<toml::Value>>,
    roles: Option<Spanned<toml::Value>>,
    turns: Option<Spanned<toml::Value>>,
    timestamps: Option<Spanned<toml::Value>>,
    name: Option<Spanned<toml::Value>>,
    version: Option<Spanned<toml::Value>>,
    script: Option<Spanned<toml::Value>>,
    start: Option<Spanned<toml::Value>>,
    temperature: Option<Spanned<toml::Value>>,
    max_tokens: Option<Spanned<toml::Value>>,
    mode: Option<Spanned<toml::Value>>,
    catalog: Option<Spanned<toml::Value>>,
    variables: Option<Spanned<toml::Value>>,
}

impl RawFront {
    /// Every key given, by name (the names are [`KNOWN_KEYS`]).
    fn fields(&self) -> [(&'static str, Option<&Spanned<toml::Value>>); 14] {
        [
            ("title", self.title.as_ref()),
            ("language", self.language.as_ref()),
            ("roles", self.roles.as_ref()),
            ("turns", self.turns.as_ref()),
            ("timestamps", self.timestamps.as_ref()),
            ("name", self.name.as_ref()),
            ("version", self.version.as_ref()),
            ("script", self.script.as_ref()),
            ("start", self.start.as_ref()),
            ("temperature", self.temperature.as_ref()),
            ("max_tokens", self.max_tokens.as_ref()),
            ("mode", self.mode.as_ref()),
            ("catalog", self.catalog.as_ref()),
            ("variables", self.variables.as_ref()),
        ]
    }

    /// The values given, by key.
    fn values(&self) -> BTreeMap<&'static str, &toml::Value> {
        self.fields()
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?.get_ref())))
            .collect()
    }

    /// Where the value of `key` sits in the front matter, when given.
    fn span(&self, key: &str) -> Option<std::ops::Range<usize>> {
        self.fields()
            .into_iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.map(Spanned::span))
    }
}

impl FrontMatter {
    fn parse(lines: &[&str], first_line: usize, path: &Utf8Path) -> Result<Self, Located> {
        let source = lines.join("\n");
        let line_at =
            |offset: usize| first_line + source[..offset.min(source.len())].matches('\n').count();
        let raw: RawFront = toml::from_str(&source).map_err(|e| {
            let line = e.span().map(|s| line_at(s.start)).or(Some(first_line));
            let message = e.message().trim();
            // serde words it "unknown field `x`, expected one of …".
            let problem = match message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split_once('`'))
            {
                Some((key, _)) => PromptProblem::UnknownKey {
                    key: key.to_string(),
                    suggestion: nearest_key(key),
                },
                None => PromptProblem::InvalidToml(message.to_string()),
            };
            (line, problem)
        })?;
        let table = raw.values();
        // The line of a key's value (the key's own line); the first line when absent.
        let key_line = |key: &str| -> Option<usize> {
            Some(raw.span(key).map_or(first_line, |span| line_at(span.start)))
        };
        let wrong = |key: &str, expected| {
            (
                key_line(key),
                PromptProblem::WrongType {
                    key: key.into(),
                    expected,
                },
            )
        };
        let invalid = |key: &str, message: String| {
            (
                key_line(key),
                PromptProblem::InvalidValue {
                    key: key.into(),
                    message,
                },
            )
        };
        let string = |key: &str| -> Result<Option<String>, Located> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(wrong(key, "a string")),
            }
        };

        let stem = path.file_stem().unwrap_or("prompt").to_string();
        let name = string("name")?.unwrap_or(stem);
        if !is_valid_name(&name) {
            return Err((key_line("name"), PromptProblem::InvalidName(name)));
        }
        let language = string("language")?.ok_or((
            Some(first_line.saturating_sub(1).max(1)),
            PromptProblem::MissingKey("language"),
        ))?;
        if language.trim().is_empty() {
            return Err(invalid(
                "language",
                "it is empty; use a code such as \"es\" or \"en\"".into(),
            ));
        }
        let title = match string("title")? {
            Some(t) if t.trim().is_empty() => return Err(invalid("title", "it is empty".into())),
            Some(t) => t,
            None => name.clone(),
        };

        let roles = match table.get("roles") {
            None => {
                return Err((
                    Some(first_line.saturating_sub(1).max(1)),
                    PromptProblem::MissingKey("roles"),
                ));
            }
            Some(toml::Value::Array(items)) => {
                let mut roles = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(s) if !s.trim().is_empty() => {
                            if roles.contains(s) {
                                return Err((
                                    key_line("roles"),
                                    PromptProblem::DuplicateRole(s.clone()),
                                ));
                            }
                            roles.push(s.clone());
                        }
                        _ => return Err(wrong("roles", "a list of non-empty strings")),
                    }
                }
                roles
            }
            Some(_) => return Err(wrong("roles", "a list of non-empty strings")),
        };
        if roles.len() < 2 {
            return Err((key_line("roles"), PromptProblem::TooFewRoles(roles.len())));
        }

        let turns = match table.get("turns") {
            None => {
                return Err((
                    Some(first_line.saturating_sub(1).max(1)),
                    PromptProblem::MissingKey("turns"),
                ));
            }
            Some(toml::Value::Integer(n)) if *n < 2 => {
                return Err((key_line("turns"), PromptProblem::TooFewTurns(*n)));
            }
            Some(toml::Value::Integer(n)) if *n > MAX_TURNS as i64 => {
                return Err((key_line("turns"), PromptProblem::TooManyTurns(*n)));
            }
            Some(toml::Value::Integer(n)) => *n as u32,
            Some(_) => return Err(wrong("turns", "a whole number")),
        };

        let timestamps = match table.get("timestamps") {
            None => true,
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => return Err(wrong("timestamps", "true or false")),
        };
        let version = match table.get("version") {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Integer(n)) => Some(n.to_string()),
            Some(toml::Value::Float(f)) => Some(f.to_string()),
            Some(_) => return Err(wrong("version", "a string or a number")),
        };
        let script = string("script")?;
        let start = match table.get("start") {
            None => None,
            Some(toml::Value::String(s)) => Some(parse_time(s).map_err(|m| invalid("start", m))?),
            Some(toml::Value::Datetime(d)) => {
                Some(parse_time(&d.to_string()).map_err(|m| invalid("start", m))?)
            }
            Some(_) => {
                return Err(wrong(
                    "start",
                    "an RFC 3339 time such as 2026-03-02T09:00:00Z",
                ));
            }
        };
        let temperature = match table.get("temperature") {
            None => None,
            Some(v) => {
                let t = match v {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(i) => *i as f64,
                    _ => return Err(wrong("temperature", "a number")),
                };
                if !(0.0..=2.0).contains(&t) {
                    return Err(invalid("temperature", format!("{t} is outside 0 to 2")));
                }
                Some(t)
            }
        };
        let max_tokens = match table.get("max_tokens") {
            None => None,
            Some(toml::Value::Integer(n)) if *n > 0 && *n <= u32::MAX as i64 => Some(*n as u32),
            Some(toml::Value::Integer(n)) => {
                return Err(invalid(
                    "max_tokens",
                    format!("{n} must be a positive number"),
                ));
            }
            Some(_) => return Err(wrong("max_tokens", "a whole number")),
        };
        let mode = match string("mode")?.as_deref() {
            None | Some("whole") => PromptMode::Whole,
            Some("turns") => PromptMode::Turns,
            Some(other) => {
                return Err(invalid(
                    "mode",
                    format!("`{other}` is neither \"whole\" nor \"turns\""),
                ));
            }
        };
        let catalog = match string("catalog")? {
            Some(c) if c.trim().is_empty() || c.contains('\n') => {
                return Err(invalid(
                    "catalog",
                    "give the text of the level-2 heading that holds the scenarios, e.g. \"Casos\""
                        .into(),
                ));
            }
            Some(c) => Some(c.trim().trim_start_matches('#').trim().to_string()),
            None => None,
        };
        let variables = match table.get("variables") {
            None => BTreeMap::new(),
            Some(toml::Value::Table(t)) => {
                declared_variables(t).map_err(|m| invalid("variables", m))?
            }
            Some(_) => {
                return Err(wrong(
                    "variables",
                    "a table such as `[variables]` with `amount = \"number\"`",
                ));
            }
        };
        Ok(FrontMatter {
            variables,
            catalog,
            name,
            title,
            language,
            roles,
            turns,
            timestamps,
            version,
            script,
            start,
            temperature,
            max_tokens,
            mode,
        })
    }
}

/// The `[variables]` table as declared types, or what is wrong with an entry.
fn declared_variables(t: &toml::Table) -> Result<BTreeMap<String, VarType>, String> {
    let mut out = BTreeMap::new();
    for (name, v) in t {
        let parsed = v.as_str().and_then(VarType::parse).ok_or_else(|| {
            format!("`{name}` = {v}: not a type; use a string naming one of {FORMS}")
        })?;
        out.insert(name.clone(), parsed);
    }
    Ok(out)
}

/// Parses an RFC 3339 time into UTC.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2026-03-02T09:00:00Z ({e})"))
}

/// The known key closest to `key`, when one is close enough to be a typo.
fn nearest_key(key: &str) -> Option<String> {
    crate::suggest::closest(key, KNOWN_KEYS).map(str::to_string)
}

/// A markdown ATX heading: its level and its text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let after = &rest[level..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    let text = after.trim();
    // Optional closing sequence of #s.
    let text = text.trim_end_matches('#').trim_end();
    Some((level, text))
}

/// A fence opening or closing line: its character and length, and the info string.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = rest.chars().next()?;
    if ch != '`' && ch != '~' {
        return None;
    }
    let len = rest.chars().take_while(|c| *c == ch).count();
    if len < 3 {
        return None;
    }
    Some((ch, len, rest[len..].trim()))
}

/// Whether a level-2 heading opens the catalog: the one the front matter
/// names, else any of [`CATALOG_HEADINGS`].
fn is_catalog_heading(text: &str, named: Option<&str>) -> bool {
    let t = text.trim().to_lowercase();
    match named {
        Some(n) => t == n.to_lowercase(),
        None => CATALOG_HEADINGS.iter().any(|h| h.to_lowercase() == t),
    }
}

struct RawScenario<'a> {
    id: String,
    title: String,
    line: usize,
    body: Vec<(usize, &'a str)>,
}

/// Splits the body into system text and scenarios. `first_line` is the 1-based
/// number of `lines[0]`. Errors carry a line number.
fn parse_body(
    lines: &[&str],
    first_line: usize,
    catalog: Option<&str>,
) -> Result<(String, Vec<Scenario>), (usize, PromptProblem)> {
    let mut system: Vec<&str> = Vec::new();
    let mut raw: Vec<RawScenario> = Vec::new();
    let mut in_catalog = false;
    let mut seen_catalog = false;
    let mut open_fence: Option<(char, usize)> = None;

    for (i, line) in lines.iter().enumerate() {
        let n = first_line + i;
        if let Some((ch, len)) = open_fence {
            if let Some((c, l, info)) = fence(line)
                && c == ch
                && l >= len
                && info.is_empty()
            {
                open_fence = None;
            }
            push_line(in_catalog, &mut system, &mut raw, n, line);
            continue;
        }
        if let Some((ch, len, _)) = fence(line) {
            open_fence = Some((ch, len));
            push_line(in_catalog, &mut system, &mut raw, n, line);
            continue;
        }
        match heading(line) {
            Some((2, text)) if is_catalog_heading(text, catalog) => {
                if seen_catalog {
                    return Err((n, PromptProblem::SecondCatalog));
                }
                seen_catalog = true;
                in_catalog = true;
            }
            Some((level, _)) if level <= 2 && in_catalog => {
                in_catalog = false;
                system.push(line);
            }
            Some((3, text)) if in_catalog => {
                let (id, title) = match text.split_once(':') {
                    Some((id, title)) if !title.trim().is_empty() => (id.trim(), title.trim()),
                    _ => return Err((n, PromptProblem::InvalidHeading(text.to_string()))),
                };
                if !is_valid_id(id) {
                    return Err((n, PromptProblem::InvalidId(id.to_string())));
                }
                if let Some(first) = raw.iter().find(|s| s.id == id) {
                    return Err((
                        n,
                        PromptProblem::DuplicateId {
                            id: id.to_string(),
                            first_line: first.line,
                        },
                    ));
                }
                raw.push(RawScenario {
                    id: id.to_string(),
                    title: title.to_string(),
                    line: n,
                    body: Vec::new(),
                });
            }
            _ => push_line(in_catalog, &mut system, &mut raw, n, line),
        }
    }
    if !seen_catalog {
        let problem = match catalog {
            Some(c) => PromptProblem::NoNamedCatalog(c.to_string()),
            None => PromptProblem::NoCatalog,
        };
        return Err((first_line.max(1), problem));
    }
    if raw.is_empty() {
        let line = lines
            .iter()
            .position(|l| {
                heading(l).is_some_and(|(lvl, t)| lvl == 2 && is_catalog_heading(t, catalog))
            })
            .map(|i| first_line + i)
            .unwrap_or(first_line);
        return Err((line, PromptProblem::EmptyCatalog));
    }
    let scenarios = raw
        .into_iter()
        .map(finish_scenario)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((trim_block(&system), scenarios))
}

fn push_line<'a>(
    in_catalog: bool,
    system: &mut Vec<&'a str>,
    raw: &mut [RawScenario<'a>],
    n: usize,
    line: &'a str,
) {
    if !in_catalog {
        system.push(line);
    } else if let Some(last) = raw.last_mut() {
        last.body.push((n, line));
    }
    // Text between the catalog heading and its first scenario is an intro for humans.
}

/// Reads the optional ```toml attribute block and the scenario text.
fn finish_scenario(raw: RawScenario) -> Result<Scenario, (usize, PromptProblem)> {
    let mut body = raw.body.as_slice();
    while let Some(((_, l), rest)) = body.split_first() {
        if l.trim().is_empty() {
            body = rest;
        } else {
            break;
        }
    }
    let mut weight = 1.0;
    let mut attrs = BTreeMap::new();
    if let Some(((open_line, l), rest)) = body.split_first()
        && let Some((ch, len, info)) = fence(l)
        && info.split_whitespace().next() == Some("toml")
    {
        let close = rest
            .iter()
            .position(|(_, l)| {
                fence(l).is_some_and(|(c, n, i)| c == ch && n >= len && i.is_empty())
            })
            .ok_or((*open_line, PromptProblem::UnclosedAttrs))?;
        let source: Vec<&str> = rest[..close].iter().map(|(_, l)| *l).collect();
        let source = source.join("\n");
        let table: toml::Table = toml::from_str(&source).map_err(|e| {
            let line = e
                .span()
                .map(|s| open_line + 1 + source[..s.start.min(source.len())].matches('\n').count())
                .unwrap_or(*open_line);
            (
                line,
                PromptProblem::InvalidAttrs(e.message().trim().to_string()),
            )
        })?;
        for (key, value) in table {
            if key == "weight" {
                let line = rest[..close]
                    .iter()
                    .find(|(_, l)| l.trim_start().starts_with("weight"))
                    .map(|(n, _)| *n)
                    .unwrap_or(*open_line);
                weight = match value {
                    toml::Value::Integer(i) if i > 0 => i as f64,
                    toml::Value::Float(f) if f.is_finite() && f > 0.0 => f,
                    other => return Err((line, PromptProblem::InvalidWeight(other.to_string()))),
                };
            } else {
                let json = serde_json::to_value(&value).map_err(|e| {
                    (
                        *open_line,
                        PromptProblem::InvalidAttrs(format!("`{key}`: {e}")),
                    )
                })?;
                attrs.insert(key, json);
            }
        }
        body = &rest[close + 1..];
    }
    let text: Vec<&str> = body.iter().map(|(_, l)| *l).collect();
    Ok(Scenario {
        id: raw.id,
        title: raw.title,
        weight,
        attrs,
        text: trim_block(&text),
        line: raw.line,
    })
}

/// Joins lines, dropping leading and trailing blank lines.
fn trim_block(lines: &[&str]) -> String {
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |i| i + 1);
    lines[start..end].join("\n")
}

/// The `{{placeholder}}` names in a text, unique, in order of appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    scan_placeholders(text, |name, _| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    });
    out
}

/// Whether `name` (already trimmed) can be a placeholder: Unicode letters and
/// digits, `_`, `-` and `.`, on one line.
pub fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Calls `f(name, byte range)` for each well-formed `{{ name }}` in `text`.
fn scan_placeholders(text: &str, mut f: impl FnMut(&str, std::ops::Range<usize>)) {
    // Linear in the text: a placeholder sits on one line, so each line's
    // `{{` and `}}` are found once, and each `{{` meets the first `}}` after
    // it through a pointer that only moves forward.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let opens = pairs(line, b'{');
        let closes = pairs(line, b'}');
        let mut next_close = 0;
        let mut from = 0;
        for open in opens {
            if open < from {
                continue;
            }
            while next_close < closes.len() && closes[next_close] < open + 2 {
                next_close += 1;
            }
            let Some(&close) = closes.get(next_close) else {
                break;
            };
            let name = line[open + 2..close].trim();
            if is_placeholder_name(name) {
                f(name, offset + open..offset + close + 2);
                from = close + 2;
            }
            // Otherwise a later `{{` may still open one: `{{{x}}}` holds `{{x}}`.
        }
        offset += line.len();
    }
}

/// Where `cc` (two of `c`) starts in `line`, overlapping runs included.
fn pairs(line: &str, c: u8) -> Vec<usize> {
    line.as_bytes()
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] == c && w[1] == c)
        .map(|(i, _)| i)
        .collect()
}

/// How many unfilled `{{` are reported at most: enough to fix them by, and
/// no message grows with a hostile prompt.
const MAX_LEFTOVERS: usize = 20;

/// Every `{{` in `text` that opens no well-formed placeholder, as written
/// (up to its `}}` on the same line, or a short excerpt). After filling, any
/// `{{` left would reach the model as it is.
pub fn leftovers(text: &str) -> Vec<String> {
    let mut good: Vec<std::ops::Range<usize>> = Vec::new();
    scan_placeholders(text, |_, range| good.push(range));
    let mut out = Vec::new();
    let mut next_good = 0;
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        from = open + 2;
        while next_good < good.len() && good[next_good].end <= open {
            next_good += 1;
        }
        if let Some(r) = good
            .get(next_good)
            .filter(|r| r.contains(&open) || r.start == open + 1)
        {
            from = r.end;
            continue;
        }
        let rest = &text[open..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let snippet = match rest[..line_end].find("}}") {
            Some(close) if close <= 80 => &rest[..close + 2],
            _ => {
                let end = rest[..line_end]
                    .char_indices()
                    .nth(24)
                    .map_or(line_end, |(i, _)| i);
                &rest[..end]
            }
        };
        out.push(snippet.trim_end().to_string());
        if out.len() == MAX_LEFTOVERS {
            break;
        }
        // The rest of a line without `}}` opens nothing either.
        if !rest[..line_end].contains("}}") {
            from = open + line_end;
        }
    }
    out
}

/// Renders a variable as text: strings as they are, other values as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The longest text a filled prompt part may be: 4 MiB, more than any
/// model's context; past it [`fill`] stops inserting values.
pub const MAX_FILLED: usize = 4 << 20;

/// Fills `{{placeholders}}` from `vars`; names without a value are left as
/// they are and returned, so the caller can report them. A result longer
/// than [`MAX_FILLED`] is cut short of values, for the caller to refuse.
pub fn fill(text: &str, vars: &BTreeMap<String, Value>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut missing: Vec<String> = Vec::new();
    let mut last = 0;
    scan_placeholders(text, |name, range| {
        if let Some(v) = vars.get(name) {
            out.push_str(&text[last..range.start]);
            // A value repeated by many placeholders stops growing the text
            // once it is past what is ever sent (the caller refuses it).
            if out.len() <= MAX_FILLED {
                out.push_str(&value_text(v));
            }
            last = range.end;
        } else if !missing.iter().any(|m| m == name) {
            missing.push(name.to_string());
        }
    });
    out.push_str(&text[last..]);
    (out, missing)
}

/// What the model is told about a scenario's attributes, as (name, text)
/// pairs in name order, and the placeholders left unfilled in them.
///
/// Every attribute but `weight` is told, except those whose name starts with
/// `_` (data for scripts only). A variable of the same name replaces the
/// catalog's value for that conversation, so a script can vary what the model
/// is told; `{{placeholders}}` in string values are filled like the text.
pub fn told_attributes(
    scenario: &Scenario,
    vars: &BTreeMap<String, Value>,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut told = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for (name, value) in &scenario.attrs {
        if name.starts_with('_') {
            continue;
        }
        let value = vars.get(name).unwrap_or(value);
        let text = match value {
            Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
                items.iter().map(value_text).collect::<Vec<_>>().join(", ")
            }
            other => value_text(other),
        };
        let (text, left) = fill(&text, vars);
        for m in left {
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
        told.push((name.clone(), text));
    }
    (told, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"+++
title = "Atención al cliente"
language = "es"
roles = ["agent", "client"]
turns = 12
timestamps = true
+++
Usted es un agente. Cliente: {{customer}}.

## Escenarios

Intro for humans.

### billing_dispute: Disputa de factura
```toml
weight = 3
tone = "molesto"
```
El cliente llama porque se le ha cobrado dos veces.

```text
### not_a_scenario: inside a fence
```

### cancel_service: Baja del servicio
Quiere darse de baja.

## Notas finales
Siempre cierre con la fórmula.
"#;

    fn parse_str(s: &str) -> Result<Prompt, PromptError> {
        parse(Utf8Path::new("prompts/test_prompt.md"), s.as_bytes())
    }

    fn problem(s: &str) -> (Option<usize>, PromptProblem) {
        let e = parse_str(s).expect_err("prompt should be refused");
        (e.line, e.problem)
    }

    fn with_front(front: &str) -> String {
        format!("+++\n{front}\n+++\nSystem.\n\n## Scenarios\n\n### a: A\ntext\n")
    }

    const BASE: &str = "language = \"en\"\nroles = [\"agent\", \"client\"]\nturns = 4";

    #[test]
    fn a_value_repeated_by_many_placeholders_stops_growing_the_text() {
        let vars: BTreeMap<String, Value> =
            [("x".to_string(), Value::String("y".repeat(1 << 20)))].into();
        let text = "{{x}} ".repeat(10_000);
        let (filled, missing) = fill(&text, &vars);
        assert!(missing.is_empty());
        assert!(filled.len() > MAX_FILLED, "the caller sees it is too long");
        assert!(filled.len() < MAX_FILLED + (1 << 20) + text.len());
    }

    #[test]
    fn parses_a_good_prompt() {
        let p = parse_str(GOOD).unwrap();
        assert_eq!(p.name, "test_prompt");
        assert_eq!(p.title, "Atención al cliente");
        assert_eq!(p.language, "es");
        assert_eq!(p.roles, vec!["agent", "client"]);
        assert_eq!(p.turns, 12);
        assert!(p.timestamps);
        assert_eq!(p.mode, PromptMode::Whole);
        assert_eq!(p.scenario_ids(), vec!["billing_dispute", "cancel_service"]);
        let b = &p.scenarios[0];
        assert_eq!(b.title, "Disputa de factura");
        assert_eq!(b.weight, 3.0);
        assert_eq!(b.attrs.get("tone"), Some(&Value::String("molesto".into())));
        assert!(!b.attrs.contains_key("weight"));
        assert!(b.text.starts_with("El cliente llama"));
        assert!(
            b.text.contains("### not_a_scenario"),
            "fenced heading stays text"
        );
        assert_eq!(b.line, 14);
        assert_eq!(p.scenarios[1].weight, 1.0);
        assert_eq!(p.scenarios[1].text, "Quiere darse de baja.");
        assert!(p.system.starts_with("Usted es un agente."));
        assert!(
            p.system.contains("## Notas finales"),
            "text after the catalog is system text"
        );
        assert!(!p.system.contains("Intro for humans"));
        assert!(!p.system.contains("Disputa"));
        assert_eq!(p.sha256, sha256_hex(GOOD.as_bytes()));
        assert_eq!(p.sha256.len(), 64);
    }

    #[test]
    fn optional_keys_are_read() {
        let p = parse_str(&with_front(&format!(
            "{BASE}\nname = \"other\"\nversion = 3\nscript = \"scripts/x.lua\"\nstart = 2026-03-02T09:00:00+01:00\ntemperature = 0.7\nmax_tokens = 900\nmode = \"turns\"\ntimestamps = false"
        )))
        .unwrap();
        assert_eq!(p.name, "other");
        assert_eq!(p.title, "other");
        assert_eq!(p.version.as_deref(), Some("3"));
        assert_eq!(p.script.as_deref(), Some("scripts/x.lua"));
        assert_eq!(p.start.unwrap().to_rfc3339(), "2026-03-02T08:00:00+00:00");
        assert_eq!(p.temperature, Some(0.7));
        assert_eq!(p.max_tokens, Some(900));
        assert_eq!(p.mode, PromptMode::Turns);
        assert!(!p.timestamps);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let s = format!("\u{feff}{}", with_front(BASE).replace('\n', "\r\n"));
        let p = parse_str(&s).unwrap();
        assert_eq!(p.scenarios[0].text, "text");
    }

    #[test]
    fn refuses_missing_front_matter() {
        assert_eq!(
            problem("# Title\n"),
            (Some(1), PromptProblem::NoFrontMatter)
        );
        assert_eq!(problem(""), (Some(1), PromptProblem::NoFrontMatter));
        assert_eq!(problem("\n\n"), (Some(1), PromptProblem::NoFrontMatter));
    }

    #[test]
    fn refuses_unclosed_front_matter() {
        assert_eq!(
            problem("+++\nturns = 2\n"),
            (Some(1), PromptProblem::UnclosedFrontMatter)
        );
    }

    #[test]
    fn refuses_invalid_toml_with_its_line() {
        let (line, p) = problem(&with_front(&format!("{BASE}\ntitle = \"unterminated")));
        assert_eq!(line, Some(5));
        assert!(matches!(p, PromptProblem::InvalidToml(_)), "{p:?}");
    }

    #[test]
    fn refuses_empty_front_matter() {
        let (line, p) = problem("+++\n+++\n## Scenarios\n### a: A\n");
        assert_eq!(p, PromptProblem::MissingKey("language"));
        assert_eq!(line, Some(1));
    }

    #[test]
    fn unknown_key_suggests_the_nearest() {
        let (line, p) = problem(&with_front(&format!("{BASE}\ntimestamp = true")));
        assert_eq!(line, Some(5));
        assert_eq!(
            p,
            PromptProblem::UnknownKey {
                key: "timestamp".into(),
                suggestion: Some("timestamps".into())
            }
        );
        let (_, p) = problem(&with_front(&format!("{BASE}\nzzzzzzzzzz = 1")));
        assert_eq!(
            p,
            PromptProblem::UnknownKey {
                key: "zzzzzzzzzz".into(),
                suggestion: None
            }
        );
        assert!(p.to_string().contains("known keys: title"));
    }

    #[test]
    fn lines_come_from_where_the_value_is_not_from_a_look_alike_line() {
        // A multi-line title holds a line that starts like the key at fault.
        let front = "title = \"\"\"\nturns = 12 in the title\n\"\"\"\nlanguage = \"en\"\nroles = [\"agent\", \"client\"]\nturns = 1";
        let (line, p) = problem(&with_front(front));
        assert_eq!(p, PromptProblem::TooFewTurns(1));
        assert_eq!(line, Some(7));
    }

    #[test]
    fn refuses_too_few_turns() {
        let (line, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"a\", \"b\"]\nturns = 1",
        ));
        assert_eq!(line, Some(4));
        assert_eq!(p, PromptProblem::TooFewTurns(1));
        let (_, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"a\", \"b\"]\nturns = -3",
        ));
        assert_eq!(p, PromptProblem::TooFewTurns(-3));
        let (_, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"a\", \"b\"]\nturns = 100000",
        ));
        assert_eq!(p, PromptProblem::TooManyTurns(100000));
        let (_, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"a\", \"b\"]\nturns = \"12\"",
        ));
        assert!(matches!(p, PromptProblem::WrongType { .. }));
    }

    #[test]
    fn refuses_too_few_or_bad_roles() {
        let (line, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"agent\"]\nturns = 4",
        ));
        assert_eq!((line, p), (Some(3), PromptProblem::TooFewRoles(1)));
        let (_, p) = problem(&with_front("language = \"en\"\nroles = []\nturns = 4"));
        assert_eq!(p, PromptProblem::TooFewRoles(0));
        let (_, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"a\", \"a\"]\nturns = 4",
        ));
        assert_eq!(p, PromptProblem::DuplicateRole("a".into()));
        let (_, p) = problem(&with_front(
            "language = \"en\"\nroles = [\"a\", 3]\nturns = 4",
        ));
        assert!(matches!(p, PromptProblem::WrongType { .. }));
        let (_, p) = problem(&with_front("language = \"en\"\nturns = 4"));
        assert_eq!(p, PromptProblem::MissingKey("roles"));
    }

    #[test]
    fn refuses_bad_optional_values() {
        for (front, key) in [
            ("start = \"yesterday\"", "start"),
            ("temperature = 5", "temperature"),
            ("max_tokens = 0", "max_tokens"),
            ("mode = \"stream\"", "mode"),
        ] {
            let (_, p) = problem(&with_front(&format!("{BASE}\n{front}")));
            assert!(
                matches!(&p, PromptProblem::InvalidValue { key: k, .. } if k == key),
                "{front}: {p:?}"
            );
        }
        let (_, p) = problem(&with_front(&format!("{BASE}\nname = \"has space\"")));
        assert_eq!(p, PromptProblem::InvalidName("has space".into()));
    }

    #[test]
    fn refuses_missing_or_empty_catalog() {
        let (_, p) = problem(&format!("+++\n{BASE}\n+++\nJust text.\n"));
        assert_eq!(p, PromptProblem::NoCatalog);
        let (line, p) = problem(&format!(
            "+++\n{BASE}\n+++\nText.\n\n## Scenarios\n\nnothing here\n"
        ));
        assert_eq!((line, p), (Some(8), PromptProblem::EmptyCatalog));
        let (line, p) = problem(&format!(
            "+++\n{BASE}\n+++\n## Scenarios\n### a: A\nx\n## Escenarios\n### b: B\n"
        ));
        assert_eq!((line, p), (Some(9), PromptProblem::SecondCatalog));
    }

    #[test]
    fn refuses_duplicate_and_invalid_ids() {
        let (line, p) = problem(&format!(
            "+++\n{BASE}\n+++\n## Scenarios\n### a: A\nx\n### a: Again\ny\n"
        ));
        assert_eq!(line, Some(9));
        assert_eq!(
            p,
            PromptProblem::DuplicateId {
                id: "a".into(),
                first_line: 7
            }
        );
        let (line, p) = problem(&format!("+++\n{BASE}\n+++\n## Scenarios\n### Bad Id: A\n"));
        assert_eq!(
            (line, p),
            (Some(7), PromptProblem::InvalidId("Bad Id".into()))
        );
        let (_, p) = problem(&format!(
            "+++\n{BASE}\n+++\n## Scenarios\n### no title here\n"
        ));
        assert!(matches!(p, PromptProblem::InvalidHeading(_)));
        let (_, p) = problem(&format!("+++\n{BASE}\n+++\n## Scenarios\n### a:   \n"));
        assert!(matches!(p, PromptProblem::InvalidHeading(_)));
    }

    #[test]
    fn refuses_invalid_weights_and_attrs() {
        for w in ["0", "-1", "\"heavy\"", "nan", "inf"] {
            let (line, p) = problem(&format!(
                "+++\n{BASE}\n+++\n## Scenarios\n### a: A\n```toml\nweight = {w}\n```\n"
            ));
            assert_eq!(line, Some(9), "weight {w}");
            assert!(
                matches!(p, PromptProblem::InvalidWeight(_)),
                "weight {w}: {p:?}"
            );
        }
        let (line, p) = problem(&format!(
            "+++\n{BASE}\n+++\n## Scenarios\n### a: A\n```toml\ntone = \n```\n"
        ));
        assert_eq!(line, Some(9));
        assert!(matches!(p, PromptProblem::InvalidAttrs(_)));
        let (line, p) = problem(&format!(
            "+++\n{BASE}\n+++\n## Scenarios\n### a: A\n```toml\nweight = 2\n"
        ));
        assert_eq!((line, p), (Some(8), PromptProblem::UnclosedAttrs));
    }

    #[test]
    fn float_weight_is_accepted() {
        let p = parse_str(&format!(
            "+++\n{BASE}\n+++\n## Scenarios\n### a: A\n```toml\nweight = 0.25\nproduct = \"fibra\"\n```\nText\n"
        ))
        .unwrap();
        assert_eq!(p.scenarios[0].weight, 0.25);
        assert_eq!(p.scenarios[0].text, "Text");
    }

    #[test]
    fn refuses_non_utf8_with_line() {
        let mut bytes = with_front(BASE).into_bytes();
        bytes.extend_from_slice(b"\nmore\n\xff\xfe\n");
        let e = parse(Utf8Path::new("p.md"), &bytes).unwrap_err();
        assert_eq!(e.problem, PromptProblem::NotUtf8);
        assert_eq!(e.line, Some(14));
        assert!(e.to_string().starts_with("p.md:14: "));
    }

    #[test]
    fn refuses_unreadable_file() {
        let e = load(Utf8Path::new("/nonexistent/dir/p.md")).unwrap_err();
        assert!(matches!(e.problem, PromptProblem::Unreadable(_)));
        assert!(
            e.to_string()
                .starts_with("/nonexistent/dir/p.md: cannot read")
        );
    }

    #[test]
    fn messages_name_file_and_line() {
        let e = parse_str(&with_front(
            "language = \"en\"\nroles = [\"a\", \"b\"]\nturns = 1",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompts/test_prompt.md:4: `turns` is 1; a conversation needs at least 2 turns"
        );
    }

    #[test]
    fn placeholders_are_found_and_filled() {
        let text = "Hola {{customer}}, {{ amount }} € {{customer}} {{bad name}} {{missing}} {{";
        assert_eq!(placeholders(text), vec!["customer", "amount", "missing"]);
        let mut vars = BTreeMap::new();
        vars.insert("customer".to_string(), Value::String("Lucía".into()));
        vars.insert("amount".to_string(), serde_json::json!(42.5));
        let (filled, missing) = fill(text, &vars);
        assert_eq!(
            filled,
            "Hola Lucía, 42.5 € Lucía {{bad name}} {{missing}} {{"
        );
        assert_eq!(missing, vec!["missing"]);
    }

    #[test]
    fn placeholders_may_be_any_letters() {
        let text = "Apólice {{apólice}}, {{ nº_cliente }}, {{número-de-série}}, {{客户}}";
        assert_eq!(
            placeholders(text),
            vec!["apólice", "nº_cliente", "número-de-série", "客户"]
        );
        let vars: BTreeMap<String, Value> =
            serde_json::from_str(r#"{"apólice": "AP-1", "nº_cliente": 7}"#).unwrap();
        let (filled, missing) = fill(text, &vars);
        assert!(filled.starts_with("Apólice AP-1, 7, "), "{filled}");
        assert_eq!(missing, vec!["número-de-série", "客户"]);
        // A placeholder never spans lines.
        assert!(placeholders("{{a\n}}").is_empty());
        assert_eq!(placeholders("{{{x}}}"), vec!["x"]);
    }

    #[test]
    fn leftovers_are_every_brace_pair_that_is_no_placeholder() {
        assert!(leftovers("{{ok}} {{{x}}} {\"a\": {\"b\": 1}}").is_empty());
        assert_eq!(
            leftovers("Hola {{nombre completo}} y {{}} y {{roto\nfin"),
            vec!["{{nombre completo}}", "{{}}", "{{roto"]
        );
        let text = format!(
            "+++\n{BASE}\n+++\nHola {{{{nombre completo}}}}.\n\n## Scenarios\n### a: A\nYa {{{{x}}}}\n"
        );
        let p = parse_str(&text).unwrap();
        assert_eq!(p.malformed, vec![(6, "{{nombre completo}}".to_string())]);
        assert_eq!(p.placeholder_lines.get("x"), Some(&10));
    }

    #[test]
    fn scanning_a_huge_prompt_stays_linear() {
        // 1.8 MB of `{{` with one `}}` at the end took 44 s when each `{{`
        // searched to the end; the scan visits each line's pairs once.
        let line = format!("{}}}}}\n", "{{ x y ".repeat(260_000));
        assert!(placeholders(&line).is_empty());
        let left = leftovers(&line);
        assert_eq!(left.len(), MAX_LEFTOVERS);
        assert!(
            left.iter().all(|l| l.chars().count() <= 24),
            "{:?}",
            &left[..2]
        );
        let many = "{{a}} ".repeat(300_000);
        assert_eq!(placeholders(&many), vec!["a"]);
        assert!(leftovers(&many).is_empty());
        // No timing assertion (CI machines vary): a quadratic scan would
        // take minutes here, and the suite's time would show it.
    }

    #[test]
    fn catalog_headings_in_other_languages() {
        for heading in ["Cenários", "scénarios", "Szenarien", "ESCENARIOS"] {
            let text = format!("+++\n{BASE}\n+++\nX\n## {heading}\n### a: A\nt\n");
            assert_eq!(parse_str(&text).unwrap().scenarios.len(), 1, "{heading}");
        }
        let named = format!(
            "+++\n{BASE}\ncatalog = \"Casos de uso\"\n+++\nX\n## Casos de uso\n### a: A\nt\n## Scenarios\nnot the catalog\n"
        );
        let p = parse_str(&named).unwrap();
        assert_eq!(p.scenario_ids(), vec!["a"]);
        assert!(p.system.contains("not the catalog"));
        let missing =
            format!("+++\n{BASE}\ncatalog = \"Casos\"\n+++\nX\n## Scenarios\n### a: A\nt\n");
        let e = parse_str(&missing).unwrap_err().to_string();
        assert!(e.contains("no `## Casos` heading"), "{e}");
        let none = format!("+++\n{BASE}\n+++\nX\n## Casos\n### a: A\nt\n");
        let e = parse_str(&none).unwrap_err().to_string();
        assert!(
            e.contains("`## Cenários`") && e.contains("catalog = "),
            "{e}"
        );
    }

    #[test]
    fn attributes_told_to_the_model() {
        let text = format!(
            "+++\n{BASE}\n+++\nX\n## Scenarios\n### a: A\n```toml\nweight = 2\ntone = \"molesto\"\n_code = 7\nproducts = [\"fibra\", \"móvil\"]\nnote = \"para {{{{customer}}}}\"\n```\nt\n"
        );
        let p = parse_str(&text).unwrap();
        let s = &p.scenarios[0];
        let mut vars: BTreeMap<String, Value> =
            serde_json::from_str(r#"{"customer": "Ana"}"#).unwrap();
        let (told, missing) = told_attributes(s, &vars);
        assert!(missing.is_empty());
        let told: Vec<(&str, &str)> = told.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            told,
            vec![
                ("note", "para Ana"),
                ("products", "fibra, móvil"),
                ("tone", "molesto")
            ]
        );
        vars.insert("tone".into(), Value::String("urgente".into()));
        vars.remove("customer");
        let (told, missing) = told_attributes(s, &vars);
        assert_eq!(told[2], ("tone".to_string(), "urgente".to_string()));
        assert_eq!(missing, vec!["customer"]);
    }

    #[test]
    fn the_known_keys_are_the_fields_serde_accepts() {
        let raw: RawFront = toml::from_str("").unwrap();
        let fields: Vec<&str> = raw.fields().iter().map(|(k, _)| *k).collect();
        assert_eq!(fields, KNOWN_KEYS);
        for key in KNOWN_KEYS {
            let text = format!("{key} = {{}}");
            assert!(toml::from_str::<RawFront>(&text).is_ok(), "{key}");
        }
        let e = toml::from_str::<RawFront>("\ncolour = 1").err().unwrap();
        assert!(e.message().starts_with("unknown field `colour`"), "{e}");
    }

    #[test]
    fn unknown_keys_get_the_nearest() {
        assert_eq!(nearest_key("langauge").as_deref(), Some("language"));
        assert_eq!(nearest_key("Roles").as_deref(), Some("roles"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse(Utf8Path::new("fuzz.md"), &bytes);
        }

        #[test]
        fn never_panics_on_prompt_like_text(body in "(\\+\\+\\+|##|###|```toml|```|~~~|weight = |:|[a-z_ ]{0,8}|\n|\r|\\{\\{|\\}\\}|é|=|\"){0,60}") {
            let _ = parse(Utf8Path::new("fuzz.md"), format!("+++\n{BASE}\n+++\n{body}").as_bytes());
            let _ = parse(Utf8Path::new("fuzz.md"), body.as_bytes());
            let _ = placeholders(&body);
        }
    }
}
