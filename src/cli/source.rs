//! `convgen show ID --source`: the exact bytes of a registered prompt
//! version, as the registry stored them (what the model was told, before
//! placeholders were filled).

use std::io::Write;

use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, user_command};
use crate::error::{EXIT_OK, Error};
use crate::registry::{Found, Registry};

pub(super) fn show_source(g: &GlobalArgs, registry: &Registry, id: &str) -> Result<i32, Error> {
    let prompt_id = match registry.find(id)? {
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
