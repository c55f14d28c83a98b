//! Choosing the generator a run uses (SPEC §4), never showing a key.

use super::*;

/// Chooses the generator (SPEC §4) and says which, never showing a key.
pub(super) fn select_generator(args: &GenerateArgs) -> Result<Chosen, Error> {
    make_generator(&GeneratorChoice {
        provider: args.provider,
        model: args.model.clone(),
        timeout: args.timeout,
        max_retries: args.max_retries,
        concurrency: args.concurrency,
        max_wait: args.quota.max_wait,
        quota: args.quota.quota(),
        recorded: Vec::new(),
    })
}

/// The flags that choose and tune a generator.
pub(super) struct GeneratorChoice {
    pub(super) provider: ProviderArg,
    pub(super) model: Option<String>,
    pub(super) timeout: f64,
    pub(super) max_retries: u32,
    pub(super) concurrency: u32,
    pub(super) max_wait: std::time::Duration,
    pub(super) quota: Quota,
    /// The endpoints a resumed run recorded: used instead of `convgen.toml`'s.
    pub(super) recorded: Vec<EndpointRecord>,
}

/// A generator, the line that says which, and the named endpoints it uses.
pub(super) struct Chosen {
    pub(super) generator: Box<dyn Generator>,
    pub(super) note: String,
    pub(super) endpoints: Vec<EndpointRecord>,
}

/// The `[[endpoints]]` of `convgen.toml` that `provider` selects.
pub(super) fn file_endpoints(
    provider: ProviderArg,
    model: Option<&str>,
) -> Result<Vec<EndpointRecord>, Error> {
    let file = file_settings();
    let wanted = |kind: &settings::EndpointKind| {
        matches!(
            (provider, kind),
            (ProviderArg::Auto, _)
                | (ProviderArg::Azure, settings::EndpointKind::Azure { .. })
                | (ProviderArg::Openai, settings::EndpointKind::OpenAi { .. })
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
            crate::llm::http::record_of(spec, model)
                .map_err(|m| Error::Usage(format!("{file_name}: {m}")))
        })
        .collect()
}

/// Builds the generator for a provider choice.
pub(super) fn make_generator(args: &GeneratorChoice) -> Result<Chosen, Error> {
    let env = |k: &str| file_settings().endpoint(k);
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(Error::Usage(format!(
            "--timeout {}: give a number of seconds from 0 to 3600",
            args.timeout
        )));
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
        (_, ProviderArg::Mock) => Vec::new(),
        _ => file_endpoints(args.provider, args.model.as_deref())?,
    };
    if !named.is_empty() {
        // Keys come only from the environment, never from the file.
        let from_env = |k: &str| std::env::var(k).ok();
        let mut configs = named
            .iter()
            .map(|r| HttpConfig::from_record(r, &from_env, &settings))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Usage)?;
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
        ProviderArg::Auto
            if env("AZURE_OPENAI_ENDPOINT").is_some() && env("AZURE_OPENAI_API_KEY").is_some() =>
        {
            ProviderArg::Azure
        }
        ProviderArg::Auto
            if env("OPENAI_BASE_URL").is_some() || env("OPENAI_API_KEY").is_some() =>
        {
            ProviderArg::Openai
        }
        ProviderArg::Auto => {
            return Ok(mock(
                "provider: mock (offline generator: no AZURE_OPENAI_* or OPENAI_* settings found, nothing is sent anywhere)",
            ));
        }
        other => other,
    };
    let cfg = match provider {
        ProviderArg::Azure => HttpConfig::azure(&env, &settings),
        ProviderArg::Openai => HttpConfig::openai(&env, &settings),
        _ => return Ok(mock("provider: mock (offline generator, as requested)")),
    }
    .map_err(Error::Usage)?;
    Ok(env_form(cfg, settings))
}

/// The generator of one environment-form endpoint; the run records where it
/// points (never the key), so that `resume` goes back there.
pub(super) fn env_form(cfg: HttpConfig, settings: ClientSettings) -> Chosen {
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
