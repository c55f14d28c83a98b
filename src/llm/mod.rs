//! Text generators: the seam between the core and whoever writes the turns.
//!
//! Generation asks a `Generator` for one conversation at a time: the offline
//! mock, or the chat-completions client for Azure OpenAI and OpenAI-compatible
//! servers ([`http`]).

pub mod choose;
pub mod governor;
pub mod http;
pub mod limits;
pub mod mock;
pub mod reply;
pub mod userinfo;

use std::collections::BTreeMap;

use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::conversation::Usage;
use crate::prompt::{Prompt, Scenario};
use crate::rng::{ConvRng, derive_seed};

/// Which provider, model and endpoint a generator uses (never a key).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorInfo {
    pub provider: String,
    pub model: String,
    pub endpoint_host: Option<String>,
    /// The endpoint's name, when the run's endpoints come from `[[endpoints]]`.
    pub endpoint: Option<String>,
}

/// What one endpoint did in a run: shown to the operator and kept on the run record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointStats {
    pub name: String,
    /// Requests sent.
    pub requests: u64,
    /// Requests refused with HTTP 429.
    pub throttled: u64,
    /// Transport failures retried (5xx, timeouts, dropped connections).
    pub retries: u64,
    /// Seconds the endpoint was closed by waits the server asked for.
    pub waited_s: f64,
}

impl EndpointStats {
    /// Adds `other`'s counts (a resumed run adds to what it recorded).
    pub fn add(&mut self, other: &EndpointStats) {
        self.requests += other.requests;
        self.throttled += other.throttled;
        self.retries += other.retries;
        self.waited_s += other.waited_s;
    }
}

/// One request for a conversation.
pub struct Request<'a> {
    pub prompt: &'a Prompt,
    pub scenario: &'a Scenario,
    /// System instructions with variables filled.
    pub system: &'a str,
    /// Scenario text with variables filled.
    pub scenario_text: &'a str,
    /// The scenario's attributes as the model is told them
    /// ([`crate::prompt::told_attributes`]).
    pub attributes: &'a [(String, String)],
    pub variables: &'a BTreeMap<String, Value>,
    /// The conversation's seed.
    pub seed: u64,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Why the previous attempt was refused, to tell the model.
    pub feedback: &'a [String],
    /// Set when the run is stopping: waiting requests give up.
    pub stop: &'a AtomicBool,
    /// The conversation's simulated start (the run's start plus its offset);
    /// the mock greets by its time of day.
    pub start: DateTime<Utc>,
}

/// A generated conversation, before checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// (role, text) pairs in order.
    pub turns: Vec<(String, String)>,
    pub usage: Usage,
    /// The server's id for the request(s), when it gives one.
    pub request_ids: Vec<String>,
    /// The endpoint that wrote it, when the generator has several.
    pub served_by: Option<GeneratorInfo>,
}

/// Why a generator produced no usable conversation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The run cannot go on (bad credentials, unknown deployment…).
    #[error("{0}")]
    Fatal(String),
    /// The provider refused the content: recorded, not retried.
    #[error("refused by the provider: {0}")]
    Refused(String),
    /// The reply was unusable: counts as a failed attempt (its tokens still count).
    #[error("{reason}")]
    Invalid { reason: String, usage: Usage },
    /// The run cannot go on now (waits or retries exhausted): stop it as
    /// Ctrl-C does, resumable.
    #[error("{0}")]
    Halted(String),
    /// The run is stopping; the request was not sent.
    #[error("stopped before the request was sent")]
    Cancelled,
}

/// Something that writes conversations.
pub trait Generator: Send + Sync {
    /// Provider, model and endpoint host, for lineage and messages.
    fn info(&self) -> GeneratorInfo;
    /// Writes one conversation.
    fn generate(&self, request: &Request) -> Result<Reply, LlmError>;
    /// Whether conversations are made on this machine (the mock): then a run
    /// writes several batches side by side to keep the disk busy. A remote
    /// generator's batches are better finished one after another, so that
    /// each is done (and durable) as early as possible.
    fn local(&self) -> bool {
        true
    }
    /// Where the first request for a conversation would go and its body
    /// (`preview --request`); `None` for a generator that sends nothing.
    fn first_request(&self, _request: &Request) -> Option<(String, Value)> {
        None
    }
    /// What each endpoint did so far (none for the mock).
    fn stats(&self) -> Vec<EndpointStats> {
        Vec::new()
    }
    /// A short line on pacing for a progress display, when there is one.
    fn status(&self) -> Option<String> {
        None
    }
    /// Messages for the operator since the last call (an endpoint taken out…).
    fn take_notices(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The deterministic offline generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct MockGenerator;

/// The model name mock artefacts record.
pub const MOCK_MODEL: &str = "convgen-mock-1";

/// A rough token count (about four characters a token), so mock runs show
/// plausible usage figures.
fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

impl Generator for MockGenerator {
    fn info(&self) -> GeneratorInfo {
        GeneratorInfo {
            provider: "mock".into(),
            model: MOCK_MODEL.into(),
            endpoint_host: None,
            endpoint: None,
        }
    }

    fn generate(&self, request: &Request) -> Result<Reply, LlmError> {
        let prompt = request.prompt;
        // Each attempt draws from its own stream, so a retry writes a new text.
        let mut rng = ConvRng::new(derive_seed(request.seed, 1_000 + request.attempt as u64));
        // A variable named like an attribute is what the model is told (see
        // `prompt::told_attributes`): the mock follows it too.
        let scenario_attrs = &request.scenario.attrs;
        let attrs = if scenario_attrs
            .keys()
            .any(|k| request.variables.contains_key(k))
        {
            let mut shaped = scenario_attrs.clone();
            for (k, v) in shaped.iter_mut() {
                if let Some(given) = request.variables.get(k) {
                    *v = given.clone();
                }
            }
            std::borrow::Cow::Owned(shaped)
        } else {
            std::borrow::Cow::Borrowed(scenario_attrs)
        };
        let input = mock::MockInput {
            language: &prompt.language,
            roles: &prompt.roles,
            turns: prompt.turns as usize,
            scenario_id: &request.scenario.id,
            scenario_title: &request.scenario.title,
            scenario_text: request.scenario_text,
            attrs: &attrs,
            variables: request.variables,
            system: request.system,
            title: &prompt.title,
            start: request.start.naive_utc(),
        };
        let turns = mock::mock_conversation(&input, &mut rng);
        let completion: u64 = turns.iter().map(|(_, t)| estimate_tokens(t) + 4).sum();
        let prompt_tokens =
            estimate_tokens(request.system) + estimate_tokens(request.scenario_text) + 60;
        // The attributes' lines are left out of the estimate: the mock's token
        // counts stay what they were for the same seed.
        Ok(Reply {
            turns,
            usage: Usage {
                prompt_tokens,
                completion_tokens: completion,
            },
            request_ids: Vec::new(),
            served_by: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns(prompt: &Prompt, vars: &BTreeMap<String, Value>) -> Vec<(String, String)> {
        let stop = AtomicBool::new(false);
        let scenario = &prompt.scenarios[0];
        let request = Request {
            prompt,
            scenario,
            system: &prompt.system,
            scenario_text: &scenario.text,
            attributes: &[],
            variables: vars,
            seed: 9,
            attempt: 1,
            feedback: &[],
            stop: &stop,
            start: crate::prompt::parse_time("2026-03-02T10:00:00Z").unwrap(),
        };
        MockGenerator.generate(&request).unwrap().turns
    }

    #[test]
    fn the_mock_follows_a_variable_that_shapes_an_attribute() {
        let prompt_with = |resolution: &str| {
            let text = format!(
                "+++\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 8\n+++\nx\n## Escenarios\n### a: Avería\n```toml\nresolution = \"{resolution}\"\n```\nEl cliente no tiene fibra.\n"
            );
            crate::prompt::parse(camino::Utf8Path::new("p.md"), text.as_bytes()).unwrap()
        };
        let escalated = prompt_with("escalado");
        let solved = prompt_with("resuelto");
        let none = BTreeMap::new();
        let shaped: BTreeMap<String, Value> =
            serde_json::from_str(r#"{"resolution": "escalado"}"#).unwrap();
        assert_ne!(turns(&escalated, &none), turns(&solved, &none));
        assert_eq!(turns(&solved, &shaped), turns(&escalated, &shaped));
        assert_eq!(turns(&solved, &shaped), turns(&escalated, &none));
    }
}
