//! Choosing the generator a run uses (SPEC §4): recorded endpoints, the
//! `[[endpoints]]` of `convgen.toml`, the environment form, or the mock.
//! Keys come only from the environment and are never shown.

use std::time::Duration;

use super::governor::Quota;
use super::http::{ClientSettings, EndpointRecord, HttpConfig, HttpGenerator, record_of};
use super::{Generator, MockGenerator};
use crate::settings::{self, FileSettings};

/// Which provider writes the text (`--provider`).
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Provider {
    /// Azure if AZURE_OPENAI_ENDPOINT and _API_KEY are set, else OpenAI-compatible if OPENAI_BASE_URL or OPENAI_API_KEY is, else the mock.
    Auto,
    /// Azure OpenAI (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, AZURE_OPENAI_DEPLOYMENT, OPENAI_API_VERSION).
    Azure,
    /// Any OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY, --model).
    Openai,
    /// The deterministic offline generator.
    Mock,
}

/// What chooses and tunes a generator.
pub struct Choice {
    pub provider: Provider,
    pub model: Option<String>,
    /// Seconds a whole request may take.
    pub timeout: f64,
    pub max_retries: u32,
    pub concurrency: u32,
    pub max_wait: Duration,
    pub quota: Quota,
    /// The endpoints a resumed run recorded: used instead of `convgen.toml`'s.
    pub recorded: Vec<EndpointRecord>,
}

/// A generator, the line that says which, and the endpoints a run records.
pub struct Chosen {
    pub generator: Box<dyn Generator>,
    pub note: String,
    pub endpoints: Vec<EndpointRecord>,
}

/// Why no generator could be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChooseError {
    #[error("--timeout {0}: give a number of seconds from 0 to 3600")]
    Timeout(f64),
    /// An `[[endpoints]]` entry of the settings file is unusable.
    #[error("{file}: {source}")]
    File {
        file: String,
        source: super::http::EndpointError,
    },
    /// An endpoint's settings are missing or wrong.
    #[error(transparent)]
    Endpoint(#[from] super::http::EndpointError),
}

/// The `[[endpoints]]` of `convgen.toml` that `provider` selects.
fn file_endpoints(
    file: &FileSettings,
    provider: Provider,
    model: Option<&str>,
) -> Result<Vec<EndpointRecord>, ChooseError> {
    let wanted = |kind: &settings::EndpointKind| {
        matches!(
            (provider, kind),
            (Provider::Auto, _)
                | (Provider::Azure, settings::EndpointKind::Azure { .. })
                | (Provider::Openai, settings::EndpointKind::OpenAi { .. })
        )
    };
    let file_name = file
        .path
        .as_ref()
        .map_or_else(|| settings::FILE.to_string(), |p| p.to_string());
    file.endpoint_list
        .iter()
        .filter(|spec| wanted(&spec.kind))
        .map(|spec| {
            record_of(spec, model).map_err(|source| ChooseError::File {
                file: file_name.clone(),
                source,
            })
        })
        .collect()
}

/// Builds the generator for a choice: the recorded endpoints, else
/// `convgen.toml`'s `[[endpoints]]`, else the environment form (read through
/// `file`, which falls back to its `[azure]`/`[openai]` tables), else the mock.
pub fn choose(args: &Choice, file: &FileSettings) -> Result<Chosen, ChooseError> {
    let env = |k: &str| file.endpoint(k);
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(ChooseError::Timeout(args.timeout));
    }
    let settings = ClientSettings {
        model: args.model.clone(),
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        max_retries: args.max_retries,
        concurrency: args.concurrency as usize,
        max_tokens: None,
        max_wait: args.max_wait,
        quota: args.quota,
    };
    let mock = |note: &str| Chosen {
        generator: Box::new(MockGenerator),
        note: note.to_string(),
        endpoints: Vec::new(),
    };
    let named = match (&args.recorded, args.provider) {
        (recorded, _) if !recorded.is_empty() => recorded.clone(),
        (_, Provider::Mock) => Vec::new(),
        _ => file_endpoints(file, args.provider, args.model.as_deref())?,
    };
    if !named.is_empty() {
        // Keys come only from the environment, never from the file.
        let from_env = |k: &str| std::env::var(k).ok();
        let mut configs = named
            .iter()
            .map(|r| HttpConfig::from_record(r, &from_env, &settings))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ChooseError::Endpoint)?;
        if configs.len() == 1 && configs[0].env.is_some() {
            // A resumed run of the environment form, back where it went.
            return Ok(env_form(configs.remove(0), settings));
        }
        let list = configs
            .iter()
            .map(|c| {
                format!(
                    "{} ({}, model {}, {})",
                    c.name,
                    c.flavor.provider(),
                    c.model,
                    c.endpoint_host
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let generator = HttpGenerator::new(configs, settings);
        return Ok(Chosen {
            note: format!("provider: {} endpoint(s): {list}", named.len()),
            endpoints: generator.records(),
            generator: Box::new(generator),
        });
    }
    let provider = match args.provider {
        Provider::Auto
            if env("AZURE_OPENAI_ENDPOINT").is_some() && env("AZURE_OPENAI_API_KEY").is_some() =>
        {
            Provider::Azure
        }
        Provider::Auto if env("OPENAI_BASE_URL").is_some() || env("OPENAI_API_KEY").is_some() => {
            Provider::Openai
        }
        Provider::Auto => {
            return Ok(mock(
                "provider: mock (offline generator: no AZURE_OPENAI_* or OPENAI_* settings found, nothing is sent anywhere)",
            ));
        }
        other => other,
    };
    let cfg = match provider {
        Provider::Azure => HttpConfig::azure(&env, &settings),
        Provider::Openai => HttpConfig::openai(&env, &settings),
        _ => return Ok(mock("provider: mock (offline generator, as requested)")),
    }
    .map_err(ChooseError::Endpoint)?;
    Ok(env_form(cfg, settings))
}

/// The generator of one environment-form endpoint; the run records where it
/// points (never the key), so that `resume` goes back there.
fn env_form(cfg: HttpConfig, settings: ClientSettings) -> Chosen {
    let generator = HttpGenerator::new(vec![cfg], settings);
    let info = generator.info();
    let note = format!(
        "provider: {}, model {}, endpoint {}",
        info.provider,
        info.model,
        info.endpoint_host.unwrap_or_default()
    );
    Chosen {
        endpoints: generator.records(),
        generator: Box::new(generator),
        note,
    }
}
