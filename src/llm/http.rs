//! Chat-completions clients: Azure OpenAI and any OpenAI-compatible server.
//!
//! One client serves both URL forms and any number of endpoints (Azure
//! deployments, OpenAI-compatible base URLs). It asks for the conversation as
//! JSON (`response_format` json_schema, falling back to json_object, then to
//! plain instructions when a server refuses), starts every request through
//! the run's [`Gate`] so that each endpoint is paced to its quota, treats a
//! 429 as a wait rather than a failure, retries transport failures with the
//! server's own waits, and never lets a key reach a message.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::governor::{Gate, GateError, Governor, Quota, RateHeaders};
use super::limits;
#[cfg(test)]
use super::reply::strip_fence;
use super::reply::{parse_turns, parse_utterance};
use super::userinfo;
use super::{EndpointStats, Generator, GeneratorInfo, LlmError, Reply, Request};
use crate::conversation::Usage;
use crate::prompt::PromptMode;
use crate::settings::{EndpointKind, EndpointSpec};

/// The GA Azure OpenAI API version used unless `OPENAI_API_VERSION` says otherwise.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";
/// The public OpenAI v1 URL, used when `OPENAI_BASE_URL` is not set.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// How long an endpoint may refuse every request before the run stops (`--max-wait`).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(900);
/// Completion tokens counted for a request without `max_tokens`, until
/// replies show the real size.
const COMPLETION_GUESS: u64 = 1000;

/// Which URL and header form a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    Azure,
    #[serde(rename = "openai")]
    OpenAi,
}

impl Flavor {
    /// The provider name artefacts record.
    pub fn provider(self) -> &'static str {
        match self {
            Flavor::Azure => "azure",
            Flavor::OpenAi => "openai",
        }
    }
}

/// One endpoint as a run records it (never a key: only the name of the
/// environment variable that holds it), so that `resume` goes to the same place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub name: String,
    pub provider: Flavor,
    /// The full chat-completions URL.
    pub url: String,
    pub key_env: Option<String>,
    pub model: String,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub weight: f64,
    /// Set for the environment form (`AZURE_OPENAI_*`, `OPENAI_BASE_URL`):
    /// what the endpoint was read from, so `resume` can tell when the
    /// environment it runs in points elsewhere. Absent for `[[endpoints]]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<EnvEndpoint>,
}

/// An endpoint of the environment form, as the environment (or the
/// `[azure]`/`[openai]` tables of `convgen.toml`) set it. Never a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvEndpoint {
    /// `OPENAI_BASE_URL` (the public OpenAI URL when unset) or
    /// `AZURE_OPENAI_ENDPOINT`, without a trailing slash.
    pub base_url: String,
    /// `AZURE_OPENAI_DEPLOYMENT` (Azure only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// `OPENAI_API_VERSION` in force (Azure only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

impl EnvEndpoint {
    /// What `env` sets for `flavor`'s endpoint; `None` when it sets no
    /// endpoint at all (no `OPENAI_BASE_URL`, no `AZURE_OPENAI_ENDPOINT`).
    pub fn from_env(flavor: Flavor, env: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        let get = |k: &str| {
            env(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        match flavor {
            Flavor::OpenAi => get("OPENAI_BASE_URL").map(|b| Self {
                base_url: userinfo::strip(b.trim_end_matches('/')),
                deployment: None,
                api_version: None,
            }),
            Flavor::Azure => get("AZURE_OPENAI_ENDPOINT").map(|e| Self {
                base_url: userinfo::strip(e.trim_end_matches('/')),
                deployment: get("AZURE_OPENAI_DEPLOYMENT"),
                api_version: get("OPENAI_API_VERSION"),
            }),
        }
    }

    /// True when `now` sends requests where this one did: the same URL and,
    /// when `now` names one, the same deployment (the API version aside).
    pub fn same_place(&self, now: &EnvEndpoint) -> bool {
        self.base_url.eq_ignore_ascii_case(&now.base_url)
            && now
                .deployment
                .as_ref()
                .is_none_or(|d| self.deployment.as_ref() == Some(d))
    }

    /// The URL, with the deployment for Azure: how messages name it.
    pub fn describe(&self) -> String {
        match &self.deployment {
            Some(d) => format!("{} (deployment {d})", self.base_url),
            None => self.base_url.clone(),
        }
    }

    /// The variables that set the endpoint of `flavor`, for messages.
    pub fn variables(flavor: Flavor) -> &'static str {
        match flavor {
            Flavor::OpenAi => "OPENAI_BASE_URL",
            Flavor::Azure => "AZURE_OPENAI_ENDPOINT/AZURE_OPENAI_DEPLOYMENT",
        }
    }
}

/// Everything needed to reach one endpoint.
#[derive(Clone)]
pub struct HttpConfig {
    /// The endpoint's name (`[[endpoints]]`), or the provider's for the environment form.
    pub name: String,
    pub flavor: Flavor,
    /// The full chat-completions URL.
    pub url: String,
    /// (header, value) carrying the key, if any. Never printed.
    auth: Option<(String, String)>,
    /// `Authorization: Basic …` from credentials written into the URL
    /// (which is kept without them), when no key fills that header. Never printed.
    basic: Option<String>,
    /// The environment variable the key comes from, for messages.
    key_env: Option<String>,
    pub model: String,
    pub endpoint_host: String,
    pub quota: Quota,
    pub weight: f64,
    /// Declared in `[[endpoints]]`: conversations record its name.
    pub named: bool,
    /// The environment form's settings (see [`EndpointRecord::env`]).
    pub env: Option<EnvEndpoint>,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("name", &self.name)
            .field("flavor", &self.flavor)
            .field("url", &self.url)
            .field(
                "auth",
                &self.auth.as_ref().map(|(h, _)| format!("{h}: <redacted>")),
            )
            .field("basic", &self.basic.as_ref().map(|_| "<redacted>"))
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
    /// How long an endpoint may refuse every request (HTTP 429) before it is
    /// taken out, or the run stops when it is the last one.
    pub max_wait: Duration,
    /// `--rpm`/`--tpm`: the quota of every endpoint that states none of its own.
    pub quota: Quota,
}

/// Why an endpoint cannot be used as it is configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "the {provider} provider needs {var}; set it in the environment (see README, Providers)"
    )]
    MissingVariable { provider: &'static str, var: String },
    #[error("{var} `{url}` is not a URL; expected {example}")]
    NotAUrl {
        var: &'static str,
        url: String,
        example: &'static str,
    },
    #[error("the openai provider needs a model: pass --model or set CONVGEN_MODEL")]
    NoModel,
    #[error(
        "endpoint `{name}` names no model: set `model` in its [[endpoints]] table, or pass --model"
    )]
    NoEndpointModel { name: String },
    #[error("the azure endpoint this run used needs {var}; set it in the environment")]
    RecordedKeyMissing { var: String },
    #[error("endpoint `{name}`: its key_env {var} is not set in the environment")]
    KeyEnvNotSet { name: String, var: String },
    #[error(
        "endpoint `{name}`: an azure endpoint needs key_env, the environment variable holding its key"
    )]
    NoKeyEnv { name: String },
}

fn check_url(var: &'static str, url: &str, example: &'static str) -> Result<(), EndpointError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(EndpointError::NotAUrl {
            var,
            url: url.to_string(),
            example,
        })
    }
}

fn azure_url(endpoint: &str, deployment: &str, version: &str) -> String {
    format!(
        "{}/openai/deployments/{}/chat/completions?api-version={}",
        endpoint.trim_end_matches('/'),
        deployment.trim(),
        version.trim()
    )
}

/// The record of a `convgen.toml` `[[endpoints]]` entry; `model` (from
/// `--model`) when the entry names none.
pub fn record_of(
    spec: &EndpointSpec,
    model: Option<&str>,
) -> Result<EndpointRecord, EndpointError> {
    let (provider, url, default_model) = match &spec.kind {
        EndpointKind::Azure {
            endpoint,
            deployment,
            api_version,
        } => (
            Flavor::Azure,
            azure_url(
                endpoint,
                deployment,
                api_version.as_deref().unwrap_or(DEFAULT_AZURE_API_VERSION),
            ),
            Some(deployment.clone()),
        ),
        EndpointKind::OpenAi { base_url } => (
            Flavor::OpenAi,
            format!("{}/chat/completions", base_url.trim_end_matches('/')),
            None,
        ),
    };
    let model = spec
        .model
        .clone()
        .or_else(|| model.map(str::to_string))
        .filter(|m| !m.trim().is_empty())
        .or(default_model)
        .ok_or_else(|| EndpointError::NoEndpointModel {
            name: spec.name.clone(),
        })?;
    Ok(EndpointRecord {
        name: spec.name.clone(),
        provider,
        url,
        key_env: spec.key_env.clone(),
        model,
        rpm: spec.rpm,
        tpm: spec.tpm,
        weight: spec.weight,
        env: None,
    })
}

fn auth_header(flavor: Flavor, key: String) -> (String, String) {
    match flavor {
        Flavor::Azure => ("api-key".into(), key),
        Flavor::OpenAi => ("Authorization".into(), format!("Bearer {key}")),
    }
}

/// Basic authentication from a URL's userinfo, unless the key already
/// fills `Authorization` (ureq's own rule for credentials in a URL).
fn basic_auth(auth: &Option<(String, String)>, userinfo: Option<String>) -> Option<String> {
    let taken = auth
        .as_ref()
        .is_some_and(|(h, _)| h.eq_ignore_ascii_case("authorization"));
    userinfo
        .filter(|_| !taken)
        .map(|u| userinfo::basic_auth(&u))
}

/// The userinfo of the environment's URL for `was`, when it points where
/// `was` does: credentials, like keys, come from the environment on resume.
fn env_userinfo(
    provider: Flavor,
    was: &EnvEndpoint,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let var = EnvEndpoint::variables(provider).split('/').next()?;
    let (url, info) = userinfo::split(env(var)?.trim().trim_end_matches('/'));
    info.filter(|_| url.eq_ignore_ascii_case(&was.base_url))
}

impl HttpConfig {
    /// Azure OpenAI from `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`,
    /// `AZURE_OPENAI_DEPLOYMENT` and `OPENAI_API_VERSION`.
    pub fn azure(
        env: &dyn Fn(&str) -> Option<String>,
        s: &ClientSettings,
    ) -> Result<Self, EndpointError> {
        let need = |k: &str| {
            env(k)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| EndpointError::MissingVariable {
                    provider: "azure",
                    var: k.to_string(),
                })
        };
        let (endpoint, credentials) = userinfo::split(need("AZURE_OPENAI_ENDPOINT")?.trim());
        let key = need("AZURE_OPENAI_API_KEY")?;
        let deployment = need("AZURE_OPENAI_DEPLOYMENT")?;
        check_url(
            "AZURE_OPENAI_ENDPOINT",
            &endpoint,
            "https://<resource>.openai.azure.com",
        )?;
        let version = env("OPENAI_API_VERSION")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.into());
        let auth = Some(auth_header(Flavor::Azure, key));
        Ok(Self {
            name: "azure".into(),
            flavor: Flavor::Azure,
            endpoint_host: host_of(&endpoint),
            url: azure_url(&endpoint, &deployment, &version),
            basic: basic_auth(&auth, credentials),
            auth,
            key_env: Some("AZURE_OPENAI_API_KEY".into()),
            env: Some(EnvEndpoint {
                base_url: endpoint.trim().trim_end_matches('/').to_string(),
                deployment: Some(deployment.trim().to_string()),
                api_version: Some(version.trim().to_string()),
            }),
            model: s.model.clone().unwrap_or(deployment),
            quota: s.quota,
            weight: 1.0,
            named: false,
        })
    }

    /// Any OpenAI-compatible server from `OPENAI_BASE_URL` and `OPENAI_API_KEY`.
    pub fn openai(
        env: &dyn Fn(&str) -> Option<String>,
        s: &ClientSettings,
    ) -> Result<Self, EndpointError> {
        let (base, credentials) = userinfo::split(
            env("OPENAI_BASE_URL")
                .filter(|v| !v.trim().is_empty())
                .as_deref()
                .unwrap_or(DEFAULT_OPENAI_BASE_URL)
                .trim(),
        );
        check_url("OPENAI_BASE_URL", &base, "e.g. http://127.0.0.1:8000/v1")?;
        let model = s
            .model
            .clone()
            .filter(|m| !m.trim().is_empty())
            .ok_or(EndpointError::NoModel)?;
        let auth = env("OPENAI_API_KEY")
            .filter(|v| !v.trim().is_empty())
            .map(|k| auth_header(Flavor::OpenAi, k));
        Ok(Self {
            name: "openai".into(),
            flavor: Flavor::OpenAi,
            endpoint_host: host_of(&base),
            url: format!("{}/chat/completions", base.trim_end_matches('/')),
            basic: basic_auth(&auth, credentials),
            auth,
            key_env: Some("OPENAI_API_KEY".into()),
            env: Some(EnvEndpoint {
                base_url: base.trim().trim_end_matches('/').to_string(),
                deployment: None,
                api_version: None,
            }),
            model,
            quota: s.quota,
            weight: 1.0,
            named: false,
        })
    }

    /// An endpoint of `convgen.toml`'s `[[endpoints]]` (or of a run's record),
    /// with its key read from the environment variable it names.
    pub fn from_record(
        rec: &EndpointRecord,
        env: &dyn Fn(&str) -> Option<String>,
        s: &ClientSettings,
    ) -> Result<Self, EndpointError> {
        let key = match &rec.key_env {
            // The environment form: a local OpenAI-compatible server may need no key.
            Some(var) if rec.env.is_some() => match env(var).filter(|v| !v.trim().is_empty()) {
                None if rec.provider == Flavor::Azure => {
                    return Err(EndpointError::RecordedKeyMissing { var: var.clone() });
                }
                key => key,
            },
            Some(var) => Some(env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                EndpointError::KeyEnvNotSet {
                    name: rec.name.clone(),
                    var: var.clone(),
                }
            })?),
            None if rec.provider == Flavor::Azure => {
                return Err(EndpointError::NoKeyEnv {
                    name: rec.name.clone(),
                });
            }
            None => None,
        };
        // A run recorded before URLs were kept without credentials still sends them.
        let (url, recorded) = userinfo::split(&rec.url);
        let credentials = recorded.or_else(|| {
            rec.env
                .as_ref()
                .and_then(|was| env_userinfo(rec.provider, was, env))
        });
        let auth = key.map(|k| auth_header(rec.provider, k));
        Ok(Self {
            name: rec.name.clone(),
            flavor: rec.provider,
            endpoint_host: host_of(&url),
            url,
            basic: basic_auth(&auth, credentials),
            auth,
            key_env: rec.key_env.clone(),
            model: rec.model.clone(),
            quota: Quota {
                rpm: rec.rpm.or(s.quota.rpm),
                tpm: rec.tpm.or(s.quota.tpm),
            },
            weight: rec.weight,
            named: rec.env.is_none(),
            env: rec.env.clone(),
        })
    }

    /// What a run records of this endpoint (no key).
    pub fn record(&self) -> EndpointRecord {
        EndpointRecord {
            name: self.name.clone(),
            provider: self.flavor,
            url: self.url.clone(),
            key_env: self.key_env.clone(),
            model: self.model.clone(),
            // The environment form's quota comes from flags, which `resume` takes anew.
            rpm: self.quota.rpm.filter(|_| self.env.is_none()),
            tpm: self.quota.tpm.filter(|_| self.env.is_none()),
            weight: self.weight,
            env: self.env.clone(),
        }
    }

    fn info(&self) -> GeneratorInfo {
        GeneratorInfo {
            provider: self.flavor.provider().into(),
            model: self.model.clone(),
            endpoint_host: Some(self.endpoint_host.clone()),
            endpoint: self.named.then(|| self.name.clone()),
        }
    }

    /// The `model` field of a request: Azure takes the deployment from the URL.
    fn model_field(&self) -> Option<&str> {
        match self.flavor {
            Flavor::OpenAi => Some(self.model.as_str()),
            Flavor::Azure => None,
        }
    }

    /// What to check when the server refuses the credentials.
    fn key_hint(&self) -> String {
        match (&self.key_env, self.named) {
            (Some(var), true) => format!("{var} (key_env of endpoint `{}`)", self.name),
            (Some(var), false) => var.clone(),
            (None, _) => format!("the key of endpoint `{}` (it has no key_env)", self.name),
        }
    }

    /// What to check when the server has no such deployment or route.
    fn where_hint(&self) -> String {
        match (self.flavor, self.named) {
            (_, true) => format!("endpoint `{}` in convgen.toml", self.name),
            (Flavor::Azure, false) => "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT".into(),
            (Flavor::OpenAi, false) => "OPENAI_BASE_URL and --model".into(),
        }
    }
}

/// How the reply format is asked for; lowered once a server refuses one.
const FORMAT_SCHEMA: u8 = 0;
const FORMAT_OBJECT: u8 = 1;
const FORMAT_PLAIN: u8 = 2;

/// One endpoint of a client, with the reply format it accepts.
struct Endpoint {
    cfg: HttpConfig,
    format: AtomicU8,
}

/// A chat-completions client for one run, over one or more endpoints.
pub struct HttpGenerator {
    endpoints: Vec<Endpoint>,
    agent: ureq::Agent,
    gate: Gate,
    settings: ClientSettings,
    /// Requests take a ticket when first made; lower tickets go first.
    tickets: AtomicU64,
    /// Completion tokens seen so far (sum, count), to size requests without `max_tokens`.
    completion_tokens: (AtomicU64, AtomicU64),
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
    /// The server answered, but there is nothing to use (the rate was spent).
    Unusable(LlmError),
    /// Nothing to retry: the request itself is wrong.
    Failed(LlmError),
    /// Try again after this wait (server-given, or backoff when `None`).
    Retry(String, Option<Duration>),
    /// HTTP 429: wait (as asked, when the server says) and ask again.
    Throttled(Option<Duration>),
    /// This endpoint cannot serve (credentials, deployment, quota).
    EndpointFatal(String),
    /// The server refused `response_format`: ask again in a simpler form.
    Downgrade,
}

impl HttpGenerator {
    /// A client over `endpoints` (at least one), with connect and
    /// whole-request timeouts and a pool sized for the concurrency.
    pub fn new(endpoints: Vec<HttpConfig>, settings: ClientSettings) -> Self {
        let per_host = settings.concurrency.max(1);
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect would carry the key to wherever it points (ureq
            // strips only `Authorization`, not Azure's `api-key`): none is
            // followed, and a 3xx is an error naming where it pointed.
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(10).min(settings.timeout)))
            .timeout_global(Some(settings.timeout))
            .max_idle_connections_per_host(per_host)
            .max_idle_connections(per_host * 2 * endpoints.len().max(1))
            .build();
        let governors = endpoints
            .iter()
            .map(|c| {
                (
                    Governor::new(&c.name, c.quota, settings.concurrency),
                    c.weight,
                )
            })
            .collect();
        Self {
            gate: Gate::new(governors, settings.max_wait),
            agent: ureq::Agent::new_with_config(config),
            endpoints: endpoints
                .into_iter()
                .map(|cfg| Endpoint {
                    cfg,
                    format: AtomicU8::new(FORMAT_SCHEMA),
                })
                .collect(),
            settings,
            tickets: AtomicU64::new(0),
            completion_tokens: (AtomicU64::new(0), AtomicU64::new(0)),
        }
    }

    /// The endpoints as a run records them.
    pub fn records(&self) -> Vec<EndpointRecord> {
        self.endpoints.iter().map(|e| e.cfg.record()).collect()
    }

    fn exchange(&self, ep: &Endpoint, body: &Value) -> (Outcome, RateHeaders) {
        let cfg = &ep.cfg;
        let mut request = self
            .agent
            .post(&cfg.url)
            .header("Content-Type", "application/json");
        if let Some((name, value)) = &cfg.auth {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(value) = &cfg.basic {
            request = request.header("Authorization", value.as_str());
        }
        let host = &cfg.endpoint_host;
        let response = match request.send(body.to_string()) {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                let why = format!("no answer from {host} within the timeout");
                return (Outcome::Retry(why, None), RateHeaders::default());
            }
            Err(
                e @ (ureq::Error::Io(_) | ureq::Error::Protocol(_) | ureq::Error::HostNotFound),
            ) => {
                let why = format!(
                    "connection to {host} failed: {}",
                    limits::error_text(&e.to_string())
                );
                return (Outcome::Retry(why, None), RateHeaders::default());
            }
            Err(e) => {
                let e = LlmError::Fatal(format!(
                    "request to {host} failed: {}",
                    limits::error_text(&e.to_string())
                ));
                return (Outcome::Failed(e), RateHeaders::default());
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
        let limits = RateHeaders::read(header);
        let should_retry = header("x-should-retry");
        let request_id = header("x-request-id")
            .or_else(|| header("apim-request-id"))
            .and_then(|id| limits::request_id(&id));
        let location = header("location");
        let success = (200..300).contains(&status);
        let mut body = response.into_body();
        let read = if success {
            body.read_to_string()
        } else {
            // An error body is quoted, never parsed as a conversation: a
            // small read bounds what a hostile server can make us hold.
            body.with_config()
                .limit(limits::ERROR_BODY_BYTES)
                .read_to_string()
        };
        let text = match read {
            Ok(text) => text,
            // A reply larger than any conversation: say so, not "not JSON".
            Err(ureq::Error::BodyExceedsLimit(limit)) if success => {
                let reason = format!(
                    "the reply from {host} is larger than {} MB, far more than a conversation; check the endpoint",
                    limit / 1_000_000
                );
                let usage = Usage::default();
                return (
                    Outcome::Unusable(LlmError::Invalid { reason, usage }),
                    limits,
                );
            }
            // A reply cut off mid-body (or slower than the timeout) is a
            // transport failure: retried, not taken as an empty reply that
            // would cost a paid regeneration.
            Err(e) if success => {
                let why = match e {
                    ureq::Error::Timeout(_) => {
                        format!("the reply from {host} did not finish within the timeout")
                    }
                    e => format!(
                        "the reply from {host} broke off while being read: {}",
                        limits::error_text(&e.to_string())
                    ),
                };
                return (Outcome::Retry(why, wait), limits);
            }
            Err(ureq::Error::BodyExceedsLimit(limit)) => {
                format!("(an error body over {} KiB, not read)", limit / 1024)
            }
            Err(_) => String::new(),
        };
        let error_message = error_message(&text);
        let outcome = match status {
            200..=299 => parse_completion(&text, request_id),
            300..=399 => {
                let location = location
                    .map(|l| crate::escape::capped_line(&l, 200))
                    .unwrap_or_else(|| "nowhere (no Location header)".into());
                Outcome::EndpointFatal(format!(
                    "{host} answered HTTP {status}, redirecting to {location}; convgen follows no redirect from an API (the key would go with it): check the endpoint ({})",
                    cfg.where_hint()
                ))
            }
            429 if error_code(&text) == "insufficient_quota" => Outcome::EndpointFatal(format!(
                "{host} has no quota left (HTTP 429 insufficient_quota): check the plan and billing of {}; {error_message}",
                cfg.key_hint()
            )),
            _ if should_retry.as_deref() == Some("false") => Outcome::Failed(LlmError::Fatal(
                format!("{host} answered HTTP {status} and asked not to retry: {error_message}"),
            )),
            400 if mentions_content_filter(&text) => Outcome::Unusable(LlmError::Refused(format!(
                "content filter: {error_message}"
            ))),
            400 if text.contains("response_format")
                && ep.format.load(Ordering::SeqCst) < FORMAT_PLAIN =>
            {
                Outcome::Downgrade
            }
            400 => Outcome::Failed(LlmError::Fatal(format!(
                "{host} rejected the request (HTTP 400): {error_message}"
            ))),
            401 | 403 => Outcome::EndpointFatal(format!(
                "{host} refused the credentials (HTTP {status}): check {}; {error_message}",
                cfg.key_hint()
            )),
            404 => Outcome::EndpointFatal(format!(
                "{host} has no such {} (HTTP 404): check {}; {error_message}",
                match cfg.flavor {
                    Flavor::Azure => "deployment",
                    Flavor::OpenAi => "endpoint or model",
                },
                cfg.where_hint()
            )),
            429 => Outcome::Throttled(wait),
            408 | 409 | 500..=599 => Outcome::Retry(format!("HTTP {status} from {host}"), wait),
            _ if should_retry.as_deref() == Some("true") => {
                Outcome::Retry(format!("HTTP {status} from {host}"), wait)
            }
            _ => Outcome::Failed(LlmError::Fatal(format!(
                "{host} answered HTTP {status}: {error_message}"
            ))),
        };
        (outcome, limits)
    }
}

pub fn server_wait(
    ms: &Option<String>,
    ms_azure: &Option<String>,
    after: &Option<String>,
) -> Option<Duration> {
    let millis = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .and_then(|n| super::governor::wait_secs(n / 1000.0))
    };
    millis(ms).or_else(|| millis(ms_azure)).or_else(|| {
        let s = after.as_deref()?.trim();
        if let Ok(secs) = s.parse::<f64>() {
            return super::governor::wait_secs(secs);
        }
        let when = chrono::DateTime::parse_from_rfc2822(s).ok()?;
        let now = chrono::DateTime::<chrono::Utc>::from(SystemTime::now());
        Some(
            (when.with_timezone(&chrono::Utc) - now)
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(super::governor::LONGEST_WAIT),
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

/// The message of an error body (`error.message`, else the body itself),
/// as one capped line: see [`limits::error_text`].
fn error_message(text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str))
        .unwrap_or(text);
    limits::error_text(message)
}

/// The `error.code` of an error body (empty when there is none).
fn error_code(text: &str) -> String {
    let v: Option<Value> = serde_json::from_str(text).ok();
    v.as_ref()
        .and_then(|v| v.pointer("/error/code").and_then(Value::as_str))
        .unwrap_or("")
        .to_string()
}

fn mentions_content_filter(text: &str) -> bool {
    let code = error_code(text);
    code == "content_filter"
        || code == "ResponsibleAIPolicyViolation"
        || text.contains("content_filter")
}

fn parse_completion(text: &str, request_id: Option<String>) -> Outcome {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::Unusable(LlmError::Invalid {
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
        return Outcome::Unusable(LlmError::Refused(
            "content filter (finish_reason content_filter)".into(),
        ));
    }
    if finish == "length" {
        return Outcome::Unusable(LlmError::Invalid {
            reason: "the reply was cut off (finish_reason length); raise max_tokens or shorten the conversation".into(),
            usage,
        });
    }
    let content = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let request_id = request_id.or_else(|| {
        v.get("id")
            .and_then(Value::as_str)
            .and_then(limits::request_id)
    });
    Outcome::Done(Completion {
        content,
        usage,
        request_id,
    })
}

/// The scenario as the system message gives it: title, the attributes the
/// model is told (one `- name: value` line each), then the scenario text.
pub fn scenario_section(req: &Request) -> String {
    let mut out = format!("## Scenario: {}\n", req.scenario.title);
    if !req.attributes.is_empty() {
        out.push_str("Attributes of this scenario:\n");
        for (name, value) in req.attributes {
            out.push_str(&format!("- {name}: {value}\n"));
        }
        out.push('\n');
    }
    out.push_str(req.scenario_text);
    out
}

/// The body of the first request for a conversation, as a server gets it
/// first (reply format json_schema; in turns mode, the first utterance's).
pub fn first_body(req: &Request, model: Option<&str>, max_tokens: Option<u32>) -> Value {
    match req.prompt.mode {
        PromptMode::Whole => request_body(req, model, FORMAT_SCHEMA, max_tokens),
        PromptMode::Turns => {
            let role = req.prompt.roles.first().map_or("", String::as_str);
            turn_body(req, &[], role, model, FORMAT_SCHEMA, max_tokens)
        }
    }
}

/// Appends why the previous attempt was refused, one reason a line, when it was.
fn add_feedback(user: &mut String, intro: &str, feedback: &[String]) {
    if feedback.is_empty() {
        return;
    }
    user.push_str(&format!("\n\n{intro}\n"));
    for f in feedback {
        user.push_str(&format!("- {f}\n"));
    }
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
        "{}\n\n{}\n\n## Output\nWrite one conversation of exactly {} turns in the language `{}`. \
         Speakers take turns in this order: {}. Reply with a JSON object only, no prose and no code fence: \
         {{\"turns\": [{{\"role\": \"{}\", \"text\": \"…\"}}, …]}}. Each `role` is one of: {}.",
        req.system,
        scenario_section(req),
        prompt.turns,
        prompt.language,
        order.join(", "),
        prompt.roles[0],
        prompt.roles.join(", ")
    );
    let mut user = String::from("Write the conversation now.");
    add_feedback(
        &mut user,
        "Your previous reply was rejected for these reasons; fix all of them:",
        req.feedback,
    );
    let schema = super::reply::conversation_schema(&prompt.roles);
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

/// The tokens a provider counts for a request at admission: the prompt's
/// estimate (about four characters a token, plus a few per message) and the
/// completion it may write (`max_tokens`, or `completion` when it sets none).
pub fn request_cost(body: &Value, completion: u64) -> u64 {
    let prompt: u64 = body["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| {
                    let chars = m["content"].as_str().map_or(0, |c| c.chars().count());
                    (chars as u64).div_ceil(4) + 4
                })
                .sum()
        })
        .unwrap_or(0);
    prompt + body["max_tokens"].as_u64().unwrap_or(completion)
}

impl Generator for HttpGenerator {
    fn info(&self) -> GeneratorInfo {
        let first = self.endpoints[0].cfg.info();
        if self.endpoints.len() == 1 {
            return first;
        }
        // Several endpoints: what they share; each conversation names its own.
        let same = |f: &dyn Fn(&GeneratorInfo) -> String| {
            let v = f(&first);
            self.endpoints
                .iter()
                .all(|e| f(&e.cfg.info()) == v)
                .then_some(v)
        };
        GeneratorInfo {
            provider: same(&|i| i.provider.clone()).unwrap_or_else(|| "mixed".into()),
            model: same(&|i| i.model.clone()).unwrap_or_else(|| "mixed".into()),
            endpoint_host: None,
            endpoint: None,
        }
    }

    fn generate(&self, request: &Request) -> Result<Reply, LlmError> {
        match request.prompt.mode {
            PromptMode::Whole => {
                let max_tokens = self.settings.max_tokens;
                let (c, i) = self.complete(request, None, |format, model| {
                    request_body(request, model, format, max_tokens)
                })?;
                let served_by = Some(self.endpoints[i].cfg.info());
                match parse_turns(&c.content) {
                    Ok(turns) => Ok(Reply {
                        turns,
                        usage: c.usage,
                        request_ids: c.request_id.into_iter().collect(),
                        served_by,
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

    fn local(&self) -> bool {
        false
    }

    fn first_request(&self, request: &Request) -> Option<(String, Value)> {
        let ep = self.endpoints.first()?;
        let body = first_body(request, ep.cfg.model_field(), self.settings.max_tokens);
        Some((ep.cfg.url.clone(), body))
    }

    fn stats(&self) -> Vec<EndpointStats> {
        self.gate.stats()
    }

    fn status(&self) -> Option<String> {
        Some(self.gate.status())
    }

    fn take_notices(&self) -> Vec<String> {
        self.gate.take_notices()
    }
}

impl HttpGenerator {
    /// One utterance per request, each with the conversation so far. A
    /// conversation stays on the endpoint that wrote its first turn, so one
    /// model writes all of it.
    fn generate_by_turn(&self, request: &Request) -> Result<Reply, LlmError> {
        let prompt = request.prompt;
        let mut turns: Vec<(String, String)> = Vec::with_capacity(prompt.turns as usize);
        let mut usage = Usage::default();
        let mut request_ids = Vec::new();
        let mut pin = None;
        for i in 0..prompt.turns as usize {
            let role = &prompt.roles[i % prompt.roles.len()];
            if let Some(why) = limits::context_too_long(&turns) {
                return Err(LlmError::Invalid {
                    reason: format!("turn {}: {why}", i + 1),
                    usage,
                });
            }
            let max_tokens = self.settings.max_tokens;
            let c = self.complete(request, pin, |format, model| {
                turn_body(request, &turns, role, model, format, max_tokens)
            });
            let (c, endpoint) = match c {
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
            pin = Some(endpoint);
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
            served_by: pin.map(|i| self.endpoints[i].cfg.info()),
        })
    }

    /// Completion tokens to count for a request without `max_tokens`.
    fn completion_guess(&self) -> u64 {
        let (sum, n) = &self.completion_tokens;
        match n.load(Ordering::Relaxed) {
            0 => COMPLETION_GUESS,
            n => sum.load(Ordering::Relaxed) / n,
        }
    }

    /// Sends one chat request through the gate, on endpoint `pin` or
    /// whichever can start it soonest: 429s are waits, transport failures
    /// spend the retry budget, a format refusal lowers the format, an
    /// endpoint that cannot serve is taken out while others can.
    /// `body(format, model)` builds the request. Returns the completion and
    /// the endpoint that wrote it.
    fn complete(
        &self,
        request: &Request,
        pin: Option<usize>,
        body: impl Fn(u8, Option<&str>) -> Value,
    ) -> Result<(Completion, usize), LlmError> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst);
        let cost = request_cost(&body(FORMAT_SCHEMA, None), self.completion_guess());
        // Failures per endpoint: those of an endpoint taken out stop counting.
        let mut failures: BTreeMap<usize, u32> = BTreeMap::new();
        let mut not_before = Instant::now();
        loop {
            let permit = match self
                .gate
                .acquire(ticket, pin, cost, not_before, request.stop)
            {
                Ok(p) => p,
                Err(GateError::Cancelled) => return Err(LlmError::Cancelled),
                Err(GateError::Exhausted(why)) => return Err(LlmError::Halted(why)),
                Err(GateError::Gone(why)) => {
                    return Err(LlmError::Invalid {
                        reason: format!(
                            "the endpoint writing this conversation was taken out ({why})"
                        ),
                        usage: Usage::default(),
                    });
                }
            };
            let i = permit.endpoint;
            let ep = &self.endpoints[i];
            let format = ep.format.load(Ordering::SeqCst);
            let (outcome, limits) = self.exchange(ep, &body(format, ep.cfg.model_field()));
            match outcome {
                Outcome::Done(c) => {
                    self.gate.accepted(permit, &limits);
                    let (sum, n) = &self.completion_tokens;
                    sum.fetch_add(c.usage.completion_tokens, Ordering::Relaxed);
                    n.fetch_add(1, Ordering::Relaxed);
                    return Ok((c, i));
                }
                Outcome::Unusable(e) => {
                    self.gate.accepted(permit, &limits);
                    return Err(e);
                }
                Outcome::Failed(e) => {
                    self.gate.released(permit);
                    return Err(e);
                }
                Outcome::Throttled(wait) => self.gate.throttled(permit, wait, &limits),
                Outcome::Downgrade => {
                    self.gate.released(permit);
                    // Remember for the whole run; racing workers may both lower it once.
                    let _ = ep.format.compare_exchange(
                        format,
                        format + 1,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                }
                Outcome::EndpointFatal(why) => {
                    self.gate.released(permit);
                    if !self.gate.take_out_if_others(i, &why) {
                        return Err(LlmError::Fatal(why));
                    }
                }
                Outcome::Retry(why, wait) => {
                    self.gate.failed(permit, wait);
                    *failures.entry(i).or_default() += 1;
                    let max = self.settings.max_retries;
                    if self.gate.failures(i) > max.max(2) {
                        let why = format!("{why}, {} times in a row", self.gate.failures(i));
                        if self.gate.take_out_if_others(i, &why) {
                            continue;
                        }
                    }
                    let spent: u32 = failures
                        .iter()
                        .filter(|(e, _)| self.gate.is_live(**e))
                        .map(|(_, n)| n)
                        .sum();
                    if spent > max {
                        return Err(LlmError::Halted(format!(
                            "gave up after {max} retries: {why}"
                        )));
                    }
                    not_before = Instant::now() + wait.unwrap_or_else(|| backoff(spent - 1));
                }
            }
        }
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
        "{}\n\n{}\n\n## Output\nThe conversation has {} turns in the language `{}`; you write one \
         utterance at a time. Reply with a JSON object only, no prose and no code fence: {{\"text\": \"…\"}}.",
        req.system,
        scenario_section(req),
        prompt.turns,
        prompt.language
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
    add_feedback(
        &mut user,
        "The previous attempt at this conversation was rejected; avoid these problems:",
        req.feedback,
    );
    let schema = super::reply::utterance_schema();
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
        // Absurd waits are a year at most, never an overflow.
        let year = Some(super::super::governor::LONGEST_WAIT);
        assert_eq!(server_wait(&None, &None, &s("1e20")), year);
        assert_eq!(server_wait(&s("1e300"), &None, &None), year);
        assert_eq!(server_wait(&None, &None, &s("inf")), year);
        assert_eq!(server_wait(&None, &None, &s("NaN")), None);
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
        for (reply, needle) in [
            ("Sure! Here it is", "not valid JSON"),
            ("{\"x\":1}", "no `turns`"),
            ("{\"turns\":[{\"role\":1}]}", "turn 1"),
        ] {
            let e = parse_turns(reply).unwrap_err();
            assert!(e.contains(needle), "{reply}: {e}");
        }
    }

    /// Client settings for tests, with `quota` for every endpoint.
    fn settings(quota: Quota) -> ClientSettings {
        ClientSettings {
            model: None,
            timeout: Duration::from_secs(5),
            max_retries: 1,
            concurrency: 2,
            max_tokens: None,
            max_wait: DEFAULT_MAX_WAIT,
            quota,
        }
    }

    #[test]
    fn config_names_the_missing_variable_and_hides_the_key() {
        let s = settings(Quota::default());
        let env = |k: &str| match k {
            "AZURE_OPENAI_ENDPOINT" => Some("https://r.openai.azure.com/".to_string()),
            "AZURE_OPENAI_API_KEY" => Some("sk-secret-123".to_string()),
            _ => None,
        };
        let e = HttpConfig::azure(&env, &s).unwrap_err().to_string();
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
        let e = HttpConfig::openai(&|_| None, &s).unwrap_err().to_string();
        assert!(e.contains("--model"), "{e}");
    }

    #[test]
    fn named_endpoints_read_their_key_from_the_variable_they_name() {
        let s = settings(Quota {
            rpm: Some(600),
            tpm: Some(90_000),
        });
        let rec = EndpointRecord {
            name: "east".into(),
            provider: Flavor::Azure,
            url: azure_url("https://east.openai.azure.com/", "gpt4o", "2024-10-21"),
            key_env: Some("EAST_KEY".into()),
            model: "gpt-4o".into(),
            rpm: Some(300),
            tpm: None,
            weight: 2.0,
            env: None,
        };
        let e = HttpConfig::from_record(&rec, &|_| None, &s)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "endpoint `east`: its key_env EAST_KEY is not set in the environment"
        );
        let env = |k: &str| (k == "EAST_KEY").then(|| "k-east-secret".to_string());
        let c = HttpConfig::from_record(&rec, &env, &s).unwrap();
        assert_eq!(c.auth, Some(("api-key".into(), "k-east-secret".into())));
        assert_eq!(c.endpoint_host, "east.openai.azure.com");
        // Its own rpm, the run's tpm.
        assert_eq!(
            c.quota,
            Quota {
                rpm: Some(300),
                tpm: Some(90_000)
            }
        );
        // The record holds no key, and the quota in force (resume keeps it).
        assert_eq!(
            c.record(),
            EndpointRecord {
                tpm: Some(90_000),
                ..rec.clone()
            }
        );
        assert!(!format!("{c:?}").contains("k-east-secret"));
        assert_eq!(c.info().endpoint.as_deref(), Some("east"));
        let no_key = EndpointRecord {
            key_env: None,
            ..rec
        };
        assert!(
            HttpConfig::from_record(&no_key, &env, &s)
                .unwrap_err()
                .to_string()
                .contains("needs key_env")
        );
    }

    #[test]
    fn the_environment_form_records_where_it_points_and_resumes_there() {
        let s = ClientSettings {
            model: Some("m".into()),
            ..settings(Quota::default())
        };
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let env = vars(&[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")]);
        let c = HttpConfig::openai(&env, &s).unwrap();
        let rec = c.record();
        let was = rec.env.clone().unwrap();
        assert_eq!(was.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(rec.key_env.as_deref(), Some("OPENAI_API_KEY"));
        // Rebuilt from the record with no key in sight: a local server needs none.
        let back = HttpConfig::from_record(&rec, &|_| None, &s).unwrap();
        assert_eq!(back.url, "http://127.0.0.1:9/v1/chat/completions");
        assert!(back.auth.is_none());
        assert_eq!(back.info().endpoint, None, "not a named endpoint");
        // Same place, slash aside; another URL is elsewhere; nothing set is None.
        let same = EnvEndpoint::from_env(Flavor::OpenAi, &env).unwrap();
        assert!(was.same_place(&same));
        let other = EnvEndpoint::from_env(
            Flavor::OpenAi,
            &vars(&[("OPENAI_BASE_URL", "https://api.openai.com/v1")]),
        )
        .unwrap();
        assert!(!was.same_place(&other));
        assert_eq!(EnvEndpoint::from_env(Flavor::OpenAi, &|_| None), None);

        let azure = vars(&[
            ("AZURE_OPENAI_ENDPOINT", "https://east.openai.azure.com"),
            ("AZURE_OPENAI_API_KEY", "k-secret"),
            ("AZURE_OPENAI_DEPLOYMENT", "calls"),
        ]);
        let rec = HttpConfig::azure(&azure, &s).unwrap().record();
        let was = rec.env.clone().unwrap();
        assert_eq!(was.deployment.as_deref(), Some("calls"));
        assert_eq!(was.api_version.as_deref(), Some(DEFAULT_AZURE_API_VERSION));
        assert_eq!(
            was.describe(),
            "https://east.openai.azure.com (deployment calls)"
        );
        let moved = vars(&[
            ("AZURE_OPENAI_ENDPOINT", "https://east.openai.azure.com"),
            ("AZURE_OPENAI_DEPLOYMENT", "other"),
        ]);
        assert!(!was.same_place(&EnvEndpoint::from_env(Flavor::Azure, &moved).unwrap()));
        let e = HttpConfig::from_record(&rec, &|_| None, &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs AZURE_OPENAI_API_KEY"), "{e}");
        let json = serde_json::to_string(&rec).unwrap();
        assert!(!json.contains("k-secret"), "{json}");
        // A record written before the environment form was recorded still reads.
        let old: EndpointRecord = serde_json::from_str(
            r#"{"name":"a","provider":"openai","url":"http://x/v1/chat/completions","key_env":null,"model":"m","rpm":null,"tpm":null,"weight":1.0}"#,
        )
        .unwrap();
        assert_eq!(old.env, None);
    }

    #[test]
    fn credentials_in_a_url_are_sent_never_recorded() {
        let s = ClientSettings {
            model: Some("m".into()),
            ..settings(Quota::default())
        };
        let base = "http://bob:pw-secret@127.0.0.1:9/v1";
        let env = |k: &str| (k == "OPENAI_BASE_URL").then(|| base.to_string());
        let c = HttpConfig::openai(&env, &s).unwrap();
        assert_eq!(c.url, "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(c.basic.as_deref(), Some("Basic Ym9iOnB3LXNlY3JldA=="));
        assert!(!format!("{c:?}").contains("pw-secret"));
        let rec = c.record();
        let json = serde_json::to_string(&rec).unwrap();
        assert!(
            !json.contains("pw-secret") && !json.contains("bob"),
            "{json}"
        );
        assert_eq!(
            EnvEndpoint::from_env(Flavor::OpenAi, &env)
                .unwrap()
                .base_url,
            "http://127.0.0.1:9/v1"
        );
        // Resumed where the environment still points: its credentials again.
        let back = HttpConfig::from_record(&rec, &env, &s).unwrap();
        assert_eq!(back.basic, c.basic);
        let elsewhere = |k: &str| {
            (k == "OPENAI_BASE_URL").then(|| "http://bob:pw-secret@10.0.0.1/v1".to_string())
        };
        let back = HttpConfig::from_record(&rec, &elsewhere, &s).unwrap();
        assert_eq!(back.basic, None, "credentials go only where they were set");
        // A key fills `Authorization`: the bearer wins, as ureq did.
        let keyed = |k: &str| match k {
            "OPENAI_BASE_URL" => Some(base.to_string()),
            "OPENAI_API_KEY" => Some("sk".to_string()),
            _ => None,
        };
        assert_eq!(HttpConfig::openai(&keyed, &s).unwrap().basic, None);
        // Azure: the `api-key` header and Basic both go; the record has neither.
        let azure = |k: &str| match k {
            "AZURE_OPENAI_ENDPOINT" => Some("https://bob:pw-secret@east.example".to_string()),
            "AZURE_OPENAI_API_KEY" => Some("k".to_string()),
            "AZURE_OPENAI_DEPLOYMENT" => Some("d".to_string()),
            _ => None,
        };
        let az = HttpConfig::azure(&azure, &s).unwrap();
        assert_eq!(az.basic, c.basic);
        assert!(
            az.url.starts_with("https://east.example/openai/"),
            "{}",
            az.url
        );
        let json = serde_json::to_string(&az.record()).unwrap();
        assert!(!json.contains("pw-secret"), "{json}");
        // A value that is not a URL is refused without quoting the secret.
        let bad = |k: &str| (k == "OPENAI_BASE_URL").then(|| "bob:pw-secret@h/v1".to_string());
        let e = HttpConfig::openai(&bad, &s).unwrap_err().to_string();
        assert!(
            e.contains("`h/v1` is not a URL") && !e.contains("pw-secret"),
            "{e}"
        );
        // A record written with them before still sends them, and is read without.
        let old = EndpointRecord {
            url: format!("{base}/chat/completions"),
            ..rec
        };
        let back = HttpConfig::from_record(&old, &|_| None, &s).unwrap();
        assert_eq!(back.url, "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(back.basic, c.basic);
    }

    #[test]
    fn request_cost_counts_prompt_and_max_tokens() {
        let body = json!({"messages": [
            {"role": "system", "content": "abcdefgh"},
            {"role": "user", "content": "ñañañ"}
        ], "max_tokens": 500});
        // 8 chars -> 2 + 4; 5 chars -> 2 + 4; plus 500.
        assert_eq!(request_cost(&body, 1000), 512);
        let body = json!({"messages": [{"role": "user", "content": ""}]});
        assert_eq!(request_cost(&body, 1000), 1004);
    }
}
