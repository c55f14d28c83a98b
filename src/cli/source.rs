//! `convgen show ID --source`: the exact bytes of a registered prompt
//! version, as the registry stored them (what the model was told, before
//! placeholders were filled).

use std::io::Write;

use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, user_command};
use crate::error::{EXIT_OK, Error};
use crate::registry::{Found, Registry};

/// Refuses `--source` on what was ingested: it has a source file, no prompt.
fn refuse_ingested(registry: &Registry, id: &str, run_id: &str) -> Result<(), Error> {
    let source = registry.run(run_id)?.and_then(|r| r.config.source);
    match source {
        Some(s) => Err(Error::Usage(format!(
            "`{id}` was ingested from {} (sha256 {}), not made from a prompt: there is no prompt text to print",
            s.path, s.sha256
        ))),
        None => Ok(()),
    }
}

pub(super) fn show_source(g: &GlobalArgs, registry: &Registry, id: &str) -> Result<i32, Error> {
    let found = registry.find(id)?;
    match &found {
        Some(Found::Run(r)) => refuse_ingested(registry, id, &r.run_id)?,
        Some(Found::Batch(b)) => refuse_ingested(registry, id, &b.run_id)?,
        Some(Found::Conversation(c)) => refuse_ingested(registry, id, &c.run_id)?,
        _ => {}
    }
    let prompt_id = match found {
        Some(Found::Prompts(prompts)) => prompts.into_iter().max_by_key(|p| p.revision),
        Some(Found::Run(r)) => registry.prompt(&r.config.prompt_id)?,
        Some(Found::Batch(b)) => registry.prompt(&b.prompt_id)?,
        Some(Found::Conversation(c)) => registry.prompt(&c.prompt_id)?,
        None => None,
    };
    let Some(record) = prompt_id else {
        return Err(Error::Usage(format!(
            "`{id}` is not a prompt id, prompt name, run, batch or conversation in {} (see `{}`)",
            registry.path(),
            user_command(g, Dirs::Data, &["list", "prompts"]),
        )));
    };
    let bytes = registry.prompt_source(&record.sha256)?.ok_or_else(|| {
        Error::Usage(format!(
            "prompt {} is registered without its source in {}; run `{}`",
            record.prompt_id,
            registry.path(),
            user_command(g, Dirs::Data, &["audit", "--all"]),
        ))
    })?;
    let mut out = std::io::stdout().lock();
    match out.write_all(&bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: "stdout".into(),
            message: e.to_string(),
        }),
        _ => Ok(EXIT_OK),
    }
}
