//! `convgen schema`: the JSON Schema of an artefact or export row on stdout.

use clap::Args;

use crate::cli::inputs::{load_prompt, resolve_prompt};
use crate::cli::options::GlobalArgs;
use crate::cli::output::print_json;
use crate::error::{EXIT_OK, Error};
use crate::schema::{Artefact, schema};

#[derive(Debug, Args)]
pub(super) struct SchemaArgs {
    /// What to describe.
    #[arg(value_enum)]
    pub(super) what: Artefact,
    /// Add this prompt's declared [variables] (and, for rows, its var.* and attr.* columns): a name or a path.
    #[arg(long, value_name = "NAME|PATH")]
    pub(super) prompt: Option<String>,
}

pub(super) fn cmd_schema(g: &GlobalArgs, a: SchemaArgs) -> Result<i32, Error> {
    let prompt = match &a.prompt {
        Some(spec) => Some(load_prompt(&resolve_prompt(g, spec)?)?.0),
        None => None,
    };
    print_json(&schema(a.what, prompt.as_ref()))?;
    Ok(EXIT_OK)
}
