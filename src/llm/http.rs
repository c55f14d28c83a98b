//! Chat-completions clients: Azure OpenAI and any OpenAI-compatible server.
//!
//! One client serves both URL forms. It asks for the conversation as JSON
//! (`response_format` json_schema, falling back to json_object, then to plain
//! instructions when a server refuses), retries what is worth retrying with
//! the server's own waits, makes every worker pause when one is told to slow
//! down, and never lets a key reach a message.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::{Generator, GeneratorInfo, LlmError, Reply, Request};
use crate::conversation::Usage;
use crate::prompt::PromptMode;

/// The GA Azure OpenAI API version used unless `OPENAI_API_VERSION` says otherwise.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";
/// The public OpenAI v1 URL, used when `OPENAI_BASE_URL` is not set.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Longest server-requested wait convgen honours before giving up on a request.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(120);

/// Which URL and header form a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Azure,
    OpenAi,
}

/// Everything needed to reach a server; built from the environment and flags.
#[derive(Clone)]
pub struct HttpConfig {
    pub flavor: Flavor,
    /// The full chat-completions URL.
    pub url: String,
    /// (header, value) carrying the key, if any. Never printed.
    auth: Option<(String, String)>,
    pub model: String,
    pub endpoint_host: String,
    pub timeout: Duration,
    pub max_retries: u32,
    pub concurrency: usize,
    pub max_tokens: Option<u32>,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("flavor", &self.flavor)
            .field("url", &self.url)
            .field(
                "auth",
                &self.auth.as_ref().map(|(h, _)| format!("{h}: <redacted>")),
            )
            .field("model", &self.model)
            .finish()
    }
}

/// The host (and port, when not the scheme's default) of a URL.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    authority
        .strip_suffix(":443")
        .or_else(|| authority.strip_suffix(":80"))
        .unwrap_or(authority)
        .to_string()
}

/// Settings that come from flags rather than the environment.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub model: Option<String>,
    pub timeout: Duration,
    pub max_retries: u32,
    pub concurrency: usize,
    pub max_tokens: Option<u32>,
}

impl HttpConfig {
    /// Azure OpenAI from `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`,
    /// `AZURE_OPENAI_DEPLOYMENT` and `OPENAI_API_VERSION`.
    pub fn azure(env: &dyn Fn(&str) -> Option<String>, s: &ClientSettings) -> Result<Self, String> {
        let need = |k: &str| {
            env(k).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                format!("the azure provider needs {k}; set it in the environment (see README, Providers)")
            })
        };
        let endpoint = need("AZURE_OPENAI_ENDPOINT")?;
        let key = need("AZURE_OPENAI_API_KEY")?;
        let deployment = need("AZURE_OPENAI_DEPLOYMENT")?;
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(format!(
                "AZURE_OPENAI_ENDPOINT `{endpoint}` is not a URL; expected https://<resource>.openai.azure.com"
            ));
        }
        let version = env("OPENAI_API_VERSION")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.into());
        let url = format!(
            "{}/openai/deployments/{}/chat/completions?api-version={}",
            endpoint.trim_end_matches('/'),
            deployment.trim(),
            version.trim()
        );
        Ok(Self {
            flavor: Flavor::Azure,
            endpoint_host: host_of(&endpoint),
            url,
            auth: Some(("api-key".into(), key)),
            model: s.model.clone().unwrap_or(deployment),
            timeout: s.timeout,
            max_retries: s.max_retries,
            concurrency: s.concurrency,
            max_tokens: s.max_tokens,
        })
    }

    /// Any OpenAI-compatible server from `OPENAI_BASE_URL` and `OPENAI_API_KEY`.
    pub fn openai(
        env: &dyn Fn(&str) -> Option<String>,
        s: &ClientSettings,
    ) -> Result<Self, String> {
        let base = env("OPENAI_BASE_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into());
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(format!(
                "OPENAI_BASE_URL `{base}` is not a URL; expected e.g. http://127.0.0.1:8000/v1"
            ));
        }
        let model = s
            .model
            .clone()
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| {
                "the openai provider needs a model: pass --model or set CONVGEN_MODEL".to_string()
            })?;
        let key = env("OPENAI_API_KEY").filter(|v| !v.trim().is_empty());
        Ok(Self {
            flavor: Flavor::OpenAi,
            endpoint_host: host_of(&base),
            url: format!("{}/chat/completions", base.trim_end_matches('/')),
            auth: key.map(|k| ("Authorization".into(), format!("Bearer {k}"))),
            model,
            timeout: s.timeout,
            max_retries: s.max_retries,
            concurrency: s.concurrency,
            max_tokens: s.max_tokens,
        })
    }
}

/// How the reply format is asked for; lowered once a server refuses one.
const FORMAT_SCHEMA: u8 = 0;
const FORMAT_OBJECT: u8 = 1;
const FORMAT_PLAIN: u8 = 2;

/// A chat-completions client for one run.
pub struct HttpGenerator {
    cfg: HttpConfig,
    agent: ureq::Agent,
    format: AtomicU8,
    /// No request starts before this instant: a 429 slows every worker down.
    pause_until: Mutex<Option<Instant>>,
    /// Requests waiting to retry after being told to slow down. New requests
    /// hold back while there are any, so the ones already turned away go
    /// first when the pause ends: no worker starves behind a herd.
    retrying: std::sync::atomic::AtomicUsize,
}

/// Counts a request among the retrying ones until dropped.
struct Retrying<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Retrying<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An accepted chat completion: its text, usage and request id.
struct Completion {
    content: String,
    usage: Usage,
    request_id: Option<String>,
}

/// What one HTTP exchange came to.
enum Outcome {
    Done(Completion),
    Failed(LlmError),
    /// Try again after this wait (server-given, or backoff when `None`).
    Retry(String, Option<Duration>),
    /// The server refused `response_format`: ask again in a simpler form.
    Downgrade,
}

impl HttpGenerator {
    /// A client with connect and whole-request timeouts and a pool sized for the concurrency.
    pub fn new(cfg: HttpConfig) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10).min(cfg.timeout)))
            .timeout_global(Some(cfg.timeout))
            .max_idle_connections_per_host(cfg.concurrency.max(1))
            .max_idle_connections(cfg.concurrency.max(1) * 2)
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            cfg,
            format: AtomicU8::new(FORMAT_SCHEMA),
            pause_until: Mutex::new(None),
            retrying: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn provider(&self) -> &'static str {
        match self.cfg.flavor {
            Flavor::Azure => "azure",
            Flavor::OpenAi => "openai",
        }
    }

    fn wait_for_pause(&self) {
        loop {
            let until = *self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                Some(t) if t > Instant::now() => std::thread::sleep(t - Instant::now()),
                _ => return,
            }
        }
    }

    /// Holds a new request back while requests turned away by a rate limit
    /// are still waiting to retry (bounded, so a stuck retry cannot block all).
    fn wait_for_retries(&self) {
        let deadline = Instant::now() + MAX_SERVER_WAIT;
        while self.retrying.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn pause_all(&self, wait: Duration) {
        let mut until = self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
        let t = Instant::now() + wait;
        if until.is_none_or(|u| u < t) {
            *until = Some(t);
        }
    }

    fn exchange(&self, body: &Value) -> Outcome {
        let mut request = self
            .agent
            .post(&self.cfg.url)
            .header("Content-Type", "application/json");
        if let Some((name, value)) = &self.cfg.auth {
            request = request.header(name.as_str(), value.as_str());
        }
        let host = &self.cfg.endpoint_host;
        let response = match request.send(body.to_string()) {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                return Outcome::Retry(format!("no answer from {host} within the timeout"), None);
            }
            Err(
                e @ (ureq::Error::Io(_) | ureq::Error::Protocol(_) | ureq::Error::HostNotFound),
            ) => {
                return Outcome::Retry(format!("connection to {host} failed: {e}"), None);
            }
            Err(e) => {
                return Outcome::Failed(LlmError::Fatal(format!("request to {host} failed: {e}")));
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let wait = server_wait(
            &header("retry-after-ms"),
            &header("x-ms-retry-after-ms"),
            &header("retry-after"),
        );
        let should_retry = header("x-should-retry");
        let request_id = header("x-request-id").or_else(|| header("apim-request-id"));
        let text = response.into_body().read_to_string().unwrap_or_default();
        let error_message = error_message(&text);
        match status {
            200..=299 => parse_completion(&text, request_id),
            _ if should_retry.as_deref() == Some("false") => Outcome::Failed(LlmError::Fatal(
                format!("{host} answered HTTP {status} and asked not to retry: {error_message}"),
            )),
            400 if mentions_content_filter(&text) => Outcome::Failed(LlmError::Refused(format!(
                "content filter: {error_message}"
            ))),
            400 if text.contains("response_format")
                && self.format.load(Ordering::SeqCst) < FORMAT_PLAIN =>
            {
                Outcome::Downgrade
            }
            400 => Outcome::Failed(LlmError::Fatal(format!(
                "{host} rejected the request (HTTP 400): {error_message}"
            ))),
            401 | 403 => Outcome::Failed(LlmError::Fatal(format!(
                "{host} refused the credentials (HTTP {status}): check {}; {error_message}",
                match self.cfg.flavor {
                    Flavor::Azure => "AZURE_OPENAI_API_KEY",
                    Flavor::OpenAi => "OPENAI_API_KEY",
                }
            ))),
            404 => Outcome::Failed(LlmError::Fatal(format!(
                "{host} has no such {} (HTTP 404): check {}; {error_message}",
                match self.cfg.flavor {
                    Flavor::Azure => "deployment",
                    Flavor::OpenAi => "endpoint or model",
                },
                match self.cfg.flavor {
                    Flavor::Azure => "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT",
                    Flavor::OpenAi => "OPENAI_BASE_URL and --model",
                }
            ))),
            408 | 409 | 429 | 500..=599 => {
                Outcome::Retry(format!("HTTP {status} from {host}"), wait)
            }
            _ if should_retry.as_deref() == Some("true") => {
                Outcome::Retry(format!("HTTP {status} from {host}"), wait)
            }
            _ => Outcome::Failed(LlmError::Fatal(format!(
                "{host} answered HTTP {status}: {error_message}"
            ))),
        }
    }
}

/// The wait a server asked for: `retry-after-ms`, `x-ms-retry-after-ms`, or
/// `retry-after` in seconds or as an HTTP date.
pub fn server_wait(
    ms: &Option<String>,
    ms_azure: &Option<String>,
    after: &Option<String>,
) -> Option<Duration> {
    let millis = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| Duration::from_secs_f64(n / 1000.0))
    };
    millis(ms).or_else(|| millis(ms_azure)).or_else(|| {
        let s = after.as_deref()?.trim();
        if let Ok(secs) = s.parse::<f64>() {
            return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
        }
        let when = chrono::DateTime::parse_from_rfc2822(s).ok()?;
        let now = chrono::DateTime::<chrono::Utc>::from(SystemTime::now());
        Some(
            (when.with_timezone(&chrono::Utc) - now)
                .to_std()
                .unwrap_or(Duration::ZERO),
        )
    })
}

/// Exponential backoff with jitter: min(0.5·2^n, 8) s, times 0.5–1.
pub fn backoff(retry: u32) -> Duration {
    let base = (0.5 * 2f64.powi(retry.min(10) as i32)).min(8.0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = 0.5 + (nanos % 1000) as f64 / 2000.0;
    Duration::from_secs_f64(base * jitter)
}

fn error_message(text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| text.chars().take(200).collect());
    message.trim().to_string()
}

fn mentions_content_filter(text: &str) -> bool {
    let v: Option<Value> = serde_json::from_str(text).ok();
    let code = v
        .as_ref()
        .and_then(|v| v.pointer("/error/code").and_then(Value::as_str))
        .unwrap_or("");
    code == "content_filter"
        || code == "ResponsibleAIPolicyViolation"
        || text.contains("content_filter")
}

/// Strips a markdown code fence around a reply, if there is one.
pub fn strip_fence(content: &str) -> &str {
    let t = content.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.split_once('\n').map_or("", |(_, body)| body);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

/// Reads `{"turns":[{"role","text"}]}` out of a reply's content.
pub fn parse_turns(content: &str) -> Result<Vec<(String, String)>, String> {
    let v: Value = serde_json::from_str(strip_fence(content)).map_err(|e| {
        format!("the reply is not valid JSON ({e}); reply with the JSON object only")
    })?;
    let turns = v.get("turns").and_then(Value::as_array).ok_or(
        "the reply has no `turns` array; reply with {\"turns\": [{\"role\": …, \"text\": …}]}",
    )?;
    let mut out = Vec::with_capacity(turns.len());
    for (i, t) in turns.iter().enumerate() {
        let role = t.get("role").and_then(Value::as_str);
        let text = t.get("text").and_then(Value::as_str);
        match (role, text) {
            (Some(r), Some(x)) => out.push((r.to_string(), x.to_string())),
            _ => return Err(format!("turn {} lacks a string `role` or `text`", i + 1)),
        }
    }
    Ok(out)
}

fn parse_completion(text: &str, request_id: Option<String>) -> Outcome {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::Failed(LlmError::Invalid {
                reason: format!("the server's answer is not a chat completion ({e})"),
                usage: Usage::default(),
            });
        }
    };
    let usage = Usage {
        prompt_tokens: v
            .pointer("/usage/prompt_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        completion_tokens: v
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    };
    let finish = v
        .pointer("/choices/0/finish_reason")
        .and_then(Value::as_str)
        .unwrap_or("");
    if finish == "content_filter" {
        return Outcome::Failed(LlmError::Refused(
            "content filter (finish_reason content_filter)".into(),
        ));
    }
    if finish == "length" {
        return Outcome::Failed(LlmError::Invalid {
            reason: "the reply was cut off (finish_reason length); raise max_tokens or shorten the conversation".into(),
            usage,
        });
    }
    let content = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let request_id = request_id.or_else(|| v.get("id").and_then(Value::as_str).map(str::to_string));
    Outcome::Done(Completion {
        content,
        usage,
        request_id,
    })
}

/// The chat request for one conversation.
pub fn request_body(
    req: &Request,
    model: Option<&str>,
    format: u8,
    max_tokens: Option<u32>,
) -> Value {
    let prompt = req.prompt;
    let order: Vec<&str> = (0..prompt.turns as usize)
        .map(|i| prompt.roles[i % prompt.roles.len()].as_str())
        .collect();
    let system = format!(
        "{}\n\n## Scenario: {}\n{}\n\n## Output\nWrite one conversation of exactly {} turns in the language `{}`. \
         Speakers take turns in this order: {}. Reply with a JSON object only, no prose and no code fence: \
         {{\"turns\": [{{\"role\": \"{}\", \"text\": \"…\"}}, …]}}. Each `role` is one of: {}.",
        req.system,
        req.scenario.title,
        req.scenario_text,
        prompt.turns,
        prompt.language,
        order.join(", "),
        prompt.roles[0],
        prompt.roles.join(", ")
    );
    let mut user = String::from("Write the conversation now.");
    if !req.feedback.is_empty() {
        user.push_str("\n\nYour previous reply was rejected for these reasons; fix all of them:\n");
        for f in req.feedback {
            user.push_str(&format!("- {f}\n"));
        }
    }
    let schema = json!({
        "type": "object",
        "properties": {
            "turns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role": {"type": "string", "enum": prompt.roles},
                        "text": {"type": "string"}
                    },
                    "required": ["role", "text"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["turns"],
        "additionalProperties": false
    });
    chat_body(
        req,
        system,
        user,
        model,
        format,
        max_tokens,
        "conversation",
        schema,
    )
}

/// The chat-completions body shared by both modes: messages, seed, model,
/// sampling settings and the reply format asked for.
#[allow(clippy::too_many_arguments)]
fn chat_body(
    req: &Request,
    system: String,
    user: String,
    model: Option<&str>,
    format: u8,
    max_tokens: Option<u32>,
    name: &str,
    schema: Value,
) -> Value {
    let prompt = req.prompt;
    let mut body = json!({
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
        "seed": req.seed,
    });
    if let Some(m) = model {
        body["model"] = json!(m);
    }
    if let Some(t) = prompt.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(t) = prompt.max_tokens.or(max_tokens) {
        body["max_tokens"] = json!(t);
    }
    match format {
        FORMAT_SCHEMA => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": name, "strict": true, "schema": schema}
            });
        }
        FORMAT_OBJECT => body["response_format"] = json!({"type": "json_object"}),
        _ => {}
    }
    body
}

impl Generator for HttpGenerator {
    fn info(&self) -> GeneratorInfo {
        GeneratorInfo {
            provider: self.provider().into(),
            model: self.cfg.model.clone(),
            endpoint_host: Some(self.cfg.endpoint_host.clone()),
        }
    }

    fn generate(&self, request: &Request) -> Result<Reply, LlmError> {
        match request.prompt.mode {
            PromptMode::Whole => {
                let c = self.complete(|format| {
                    request_body(request, self.model(), format, self.cfg.max_tokens)
                })?;
                match parse_turns(&c.content) {
                    Ok(turns) => Ok(Reply {
                        turns,
                        usage: c.usage,
                        request_ids: c.request_id.into_iter().collect(),
                    }),
                    Err(reason) => Err(LlmError::Invalid {
                        reason,
                        usage: c.usage,
                    }),
                }
            }
            PromptMode::Turns => self.generate_by_turn(request),
        }
    }
}

impl HttpGenerator {
    fn model(&self) -> Option<&str> {
        match self.cfg.flavor {
            Flavor::OpenAi => Some(self.cfg.model.as_str()),
            Flavor::Azure => None,
        }
    }

    /// One utterance per request, each with the conversation so far.
    fn generate_by_turn(&self, request: &Request) -> Result<Reply, LlmError> {
        let prompt = request.prompt;
        let mut turns: Vec<(String, String)> = Vec::with_capacity(prompt.turns as usize);
        let mut usage = Usage::default();
        let mut request_ids = Vec::new();
        for i in 0..prompt.turns as usize {
            let role = &prompt.roles[i % prompt.roles.len()];
            let c = self.complete(|format| {
                turn_body(
                    request,
                    &turns,
                    role,
                    self.model(),
                    format,
                    self.cfg.max_tokens,
                )
            });
            let c = match c {
                Ok(c) => c,
                Err(LlmError::Invalid { reason, usage: u }) => {
                    usage.add(u);
                    return Err(LlmError::Invalid {
                        reason: format!("turn {}: {reason}", i + 1),
                        usage,
                    });
                }
                Err(e) => return Err(e),
            };
            usage.add(c.usage);
            request_ids.extend(c.request_id);
            match parse_utterance(&c.content) {
                Ok(text) => turns.push((role.clone(), text)),
                Err(reason) => {
                    return Err(LlmError::Invalid {
                        reason: format!("turn {}: {reason}", i + 1),
                        usage,
                    });
                }
            }
        }
        Ok(Reply {
            turns,
            usage,
            request_ids,
        })
    }

    /// Sends one chat request, with transport retries and format fallback.
    fn complete(&self, body: impl Fn(u8) -> Value) -> Result<Completion, LlmError> {
        let mut retries = 0;
        let mut turned_away: Option<Retrying> = None;
        loop {
            let format = self.format.load(Ordering::SeqCst);
            let body = body(format);
            self.wait_for_pause();
            if turned_away.is_none() {
                self.wait_for_retries();
            }
            match self.exchange(&body) {
                Outcome::Done(c) => return Ok(c),
                Outcome::Failed(e) => return Err(e),
                Outcome::Downgrade => {
                    // Remember for the whole run; racing workers may both lower it once.
                    let _ = self.format.compare_exchange(
                        format,
                        format + 1,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                }
                Outcome::Retry(why, wait) => {
                    if retries >= self.cfg.max_retries {
                        return Err(LlmError::Fatal(format!(
                            "gave up after {retries} retries: {why} (raise --max-retries, or resume later)"
                        )));
                    }
                    let wait = match wait {
                        Some(w) if w > MAX_SERVER_WAIT => {
                            return Err(LlmError::Fatal(format!(
                                "{why}: the server asked to wait {} s, longer than {} s",
                                w.as_secs(),
                                MAX_SERVER_WAIT.as_secs()
                            )));
                        }
                        Some(w) => {
                            self.pause_all(w);
                            if turned_away.is_none() {
                                self.retrying.fetch_add(1, Ordering::SeqCst);
                                turned_away = Some(Retrying(&self.retrying));
                            }
                            w
                        }
                        None => backoff(retries),
                    };
                    retries += 1;
                    std::thread::sleep(wait);
                }
            }
        }
    }
}

/// Reads `{"text": …}` (or, from a lenient server, bare text) out of a turn reply.
pub fn parse_utterance(content: &str) -> Result<String, String> {
    let body = strip_fence(content);
    match serde_json::from_str::<Value>(body) {
        Ok(v) => v
            .get("text")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                "the reply has no string `text`; reply with {\"text\": \"…\"}".to_string()
            }),
        Err(_) if !body.is_empty() && !body.starts_with('{') => Ok(body.to_string()),
        Err(e) => Err(format!(
            "the reply is not valid JSON ({e}); reply with {{\"text\": \"…\"}}"
        )),
    }
}

/// The chat request for one utterance in turn-by-turn mode.
pub fn turn_body(
    req: &Request,
    so_far: &[(String, String)],
    role: &str,
    model: Option<&str>,
    format: u8,
    max_tokens: Option<u32>,
) -> Value {
    let prompt = req.prompt;
    let system = format!(
        "{}\n\n## Scenario: {}\n{}\n\n## Output\nThe conversation has {} turns in the language `{}`; you write one \
         utterance at a time. Reply with a JSON object only, no prose and no code fence: {{\"text\": \"…\"}}.",
        req.system, req.scenario.title, req.scenario_text, prompt.turns, prompt.language
    );
    let mut user = String::new();
    if so_far.is_empty() {
        user.push_str("The conversation has not started yet.\n");
    } else {
        user.push_str("The conversation so far:\n");
        for (r, t) in so_far {
            user.push_str(&format!("{r}: {t}\n"));
        }
    }
    user.push_str(&format!(
        "\nWrite turn {} of {}, spoken by `{role}`.",
        so_far.len() + 1,
        prompt.turns
    ));
    if !req.feedback.is_empty() {
        user.push_str(
            "\n\nThe previous attempt at this conversation was rejected; avoid these problems:\n",
        );
        for f in req.feedback {
            user.push_str(&format!("- {f}\n"));
        }
    }
    let schema = json!({
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
        "additionalProperties": false
    });
    chat_body(
        req,
        system,
        user,
        model,
        format,
        max_tokens,
        "utterance",
        schema,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(host_of("https://x.openai.azure.com/"), "x.openai.azure.com");
        assert_eq!(host_of("http://127.0.0.1:8000/v1"), "127.0.0.1:8000");
        assert_eq!(host_of("https://api.openai.com:443/v1"), "api.openai.com");
        assert_eq!(host_of("https://user:secret@h.example/v1"), "h.example");
    }

    #[test]
    fn server_waits_are_read_in_order() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            server_wait(&s("250"), &s("9000"), &s("9")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            server_wait(&None, &s("1500"), &s("9")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            server_wait(&None, &None, &s("2")),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            server_wait(&None, &None, &s("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(server_wait(&None, &None, &s("soon")), None);
        assert_eq!(server_wait(&s("-5"), &None, &None), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for n in 0..20 {
            let b = backoff(n).as_secs_f64();
            let cap = (0.5 * 2f64.powi(n.min(10) as i32)).min(8.0);
            assert!(b >= cap * 0.5 && b <= cap, "retry {n}: {b}");
        }
    }

    #[test]
    fn fences_and_shapes() {
        assert_eq!(strip_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fence("  {\"a\":1} "), "{\"a\":1}");
        let turns =
            parse_turns("```\n{\"turns\":[{\"role\":\"agent\",\"text\":\"Hola\"}]}\n```").unwrap();
        assert_eq!(turns, vec![("agent".to_string(), "Hola".to_string())]);
        assert!(
            parse_turns("Sure! Here it is")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_turns("{\"x\":1}").unwrap_err().contains("no `turns`"));
        assert!(
            parse_turns("{\"turns\":[{\"role\":1}]}")
                .unwrap_err()
                .contains("turn 1")
        );
    }

    #[test]
    fn config_names_the_missing_variable_and_hides_the_key() {
        let s = ClientSettings {
            model: None,
            timeout: Duration::from_secs(5),
            max_retries: 1,
            concurrency: 2,
            max_tokens: None,
        };
        let env = |k: &str| match k {
            "AZURE_OPENAI_ENDPOINT" => Some("https://r.openai.azure.com/".to_string()),
            "AZURE_OPENAI_API_KEY" => Some("sk-secret-123".to_string()),
            _ => None,
        };
        let e = HttpConfig::azure(&env, &s).unwrap_err();
        assert!(e.contains("AZURE_OPENAI_DEPLOYMENT"), "{e}");
        let env2 = |k: &str| {
            env(k).or_else(|| (k == "AZURE_OPENAI_DEPLOYMENT").then(|| "gpt4o".to_string()))
        };
        let c = HttpConfig::azure(&env2, &s).unwrap();
        assert_eq!(
            c.url,
            "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"
        );
        assert!(!format!("{c:?}").contains("sk-secret-123"));
        let e = HttpConfig::openai(&|_| None, &s).unwrap_err();
        assert!(e.contains("--model"), "{e}");
    }
}
