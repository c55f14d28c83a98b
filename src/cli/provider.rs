//! The flags of `generate` as a generator choice (see [`crate::llm::choose`]).

use crate::cli::file_settings;
use crate::cli::generate::GenerateArgs;
use crate::error::Error;
use crate::llm::choose::{Choice, Chosen, choose};

/// Chooses the generator `generate` would use (SPEC §4), never showing a key.
pub(super) fn select_generator(args: &GenerateArgs) -> Result<Chosen, Error> {
    Ok(choose(
        &Choice {
            provider: args.provider,
            model: args.model.clone(),
            timeout: args.timeout,
            max_retries: args.max_retries,
            concurrency: args.concurrency,
            max_wait: args.quota.max_wait,
            quota: args.quota.quota(),
            recorded: Vec::new(),
        },
        file_settings(),
    )?)
}
