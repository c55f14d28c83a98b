//! `convgen config`: the effective settings and where each comes from.

use super::*;

#[derive(Debug, Args)]
pub(super) struct ConfigArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn cmd_config(
    g: &GlobalArgs,
    args: ConfigArgs,
    matches: &clap::ArgMatches,
) -> Result<i32, Error> {
    let file = file_settings();
    let file_name = file
        .path
        .as_ref()
        .map_or_else(|| settings::FILE.to_string(), |p| p.to_string());
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for s in settings::SETTINGS {
        // Only the global directory flags can be given to `config` itself.
        let is_global = ["data_dir", "prompts_dir", "scripts_dir"].contains(&s.flag);
        let flag_given = is_global
            && matches.value_source(s.flag) == Some(clap::parser::ValueSource::CommandLine);
        let env_value = (!s.env.is_empty())
            .then(|| std::env::var(s.env).ok())
            .flatten()
            .filter(|v| !v.trim().is_empty());
        let (value, source) = if flag_given {
            let v = match s.flag {
                "data_dir" => g.data_dir.to_string(),
                "prompts_dir" => g.prompts_dir.to_string(),
                _ => g.scripts_dir.to_string(),
            };
            (v, format!("flag --{}", s.flag.replace('_', "-")))
        } else if let Some(v) = env_value {
            (v, format!("environment {}", s.env))
        } else if let Some(v) = file.values.get(s.flag) {
            (v.clone(), file_name.clone())
        } else {
            (s.default.to_string(), "default".to_string())
        };
        rows.push((s.key.to_string(), value, source));
    }
    for (table, key, var) in settings::ENDPOINTS {
        let env_value = std::env::var(var).ok().filter(|v| !v.trim().is_empty());
        let (value, source) = match (env_value, file.endpoints.get(var)) {
            (Some(v), _) => (v, format!("environment {var}")),
            (None, Some(v)) => (v.clone(), file_name.clone()),
            (None, None) => (String::new(), "not set".to_string()),
        };
        rows.push((format!("{table}.{key}"), value, source));
    }
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
            Err(e) => e,
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
    for var in ["AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"] {
        let set = std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
        rows.push((
            var.to_lowercase(),
            if set { "(set)".into() } else { String::new() },
            if set {
                format!("environment {var}")
            } else {
                "not set".into()
            },
        ));
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
