//! `convgen config`: the effective settings and where each comes from.

use clap::Args;
use serde_json::json;

use crate::cli::output::{print_json, print_table};
use crate::cli::{command_with_file, file_settings};
use crate::error::{EXIT_OK, Error};
use crate::settings;

#[derive(Debug, Args)]
pub(super) struct ConfigArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn cmd_config(args: ConfigArgs, matches: &clap::ArgMatches) -> Result<i32, Error> {
    let file = file_settings();
    let file_name = file.name();
    // `generate`'s flags as clap resolves them with nothing typed: their
    // environment variables, convgen.toml and built-in defaults.
    let generate = command_with_file(file)
        .find_subcommand("generate")
        .cloned()
        .ok_or_else(|| Error::Usage("convgen has no generate command".into()))?;
    let generate_matches = generate
        .clone()
        .try_get_matches_from(["generate", "--prompt", "-", "--total", "1"])
        .map_err(|e| Error::Usage(format!("the settings cannot make a run: {e}")))?;
    let top = command_with_file(file);
    let mut rows: Vec<(String, String, String)> =
        settings::effective(&[(&top, matches), (&generate, &generate_matches)], file)
            .into_iter()
            .chain(settings::endpoint_settings(file))
            .map(|e| (e.name, e.value, e.source))
            .collect();
    for spec in &file.endpoint_list {
        let key = match &spec.key_env {
            Some(var) if std::env::var(var).is_ok_and(|v| !v.trim().is_empty()) => {
                format!("key from {var} (set)")
            }
            Some(var) => format!("key from {var} (NOT SET)"),
            None => "no key".to_string(),
        };
        let place = match crate::llm::http::record_of(spec, None) {
            Ok(r) => format!("{} {} model {}", r.provider.provider(), r.url, r.model),
            Err(e) => e.to_string(),
        };
        let quota = [
            spec.rpm.map(|r| format!("rpm {r}")),
            spec.tpm.map(|t| format!("tpm {t}")),
            (spec.weight != 1.0).then(|| format!("weight {}", spec.weight)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        let mut value = format!("{place}, {key}");
        if !quota.is_empty() {
            value = format!("{value}, {}", quota.join(", "));
        }
        rows.push((format!("endpoints.{}", spec.name), value, file_name.clone()));
    }
    if args.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(k, v, s)| json!({"name": k, "value": v, "source": s}))
            .collect();
        return print_json(&v).map(|_| EXIT_OK);
    }
    print_table(
        &["SETTING", "VALUE", "FROM"],
        rows.into_iter().map(|(k, v, s)| vec![k, v, s]).collect(),
    );
    Ok(EXIT_OK)
}
