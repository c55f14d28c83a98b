//! Flag types several commands share: scenario modes, providers, quotas.

use super::*;

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
