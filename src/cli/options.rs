//! Flags several commands share: the global directories, quotas.

use camino::Utf8PathBuf;
use clap::Args;

use crate::llm::governor::Quota;
use crate::settings;

/// The options every command takes, before or after its name.
#[derive(Debug, Args)]
pub(super) struct GlobalArgs {
    /// Where batches and the registry live.
    #[arg(
        long,
        global = true,
        env = "CONVGEN_DATA_DIR",
        default_value = "batches",
        value_name = "DIR"
    )]
    pub(super) data_dir: Utf8PathBuf,
    /// Where prompts are looked up by name.
    #[arg(
        long,
        global = true,
        env = "CONVGEN_PROMPTS_DIR",
        default_value = "prompts",
        value_name = "DIR"
    )]
    pub(super) prompts_dir: Utf8PathBuf,
    /// Where scripts paired with prompts live.
    #[arg(
        long,
        global = true,
        env = "CONVGEN_SCRIPTS_DIR",
        default_value = "scripts",
        value_name = "DIR"
    )]
    pub(super) scripts_dir: Utf8PathBuf,
    /// Print only errors on stderr.
    #[arg(long, short, global = true)]
    pub(super) quiet: bool,
}

/// How a run meets a provider's quota.
#[derive(Debug, Args)]
pub(super) struct QuotaArgs {
    /// Requests per minute each endpoint allows, when known (paced from the first request; otherwise learned from the server).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=settings::RPM_MAX))]
    pub(super) rpm: Option<u64>,
    /// Tokens per minute each endpoint allows, when known (counted as the prompt's estimate plus max_tokens).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=settings::TPM_MAX))]
    pub(super) tpm: Option<u64>,
    /// How long an endpoint may refuse every request (HTTP 429) before the run stops, resumable: seconds, or a form like 15m.
    #[arg(long, default_value = "900", value_name = "SECONDS|15m", value_parser = settings::parse_wait)]
    pub(super) max_wait: std::time::Duration,
}

impl QuotaArgs {
    pub(super) fn quota(&self) -> Quota {
        Quota {
            rpm: self.rpm,
            tpm: self.tpm,
        }
    }
}
