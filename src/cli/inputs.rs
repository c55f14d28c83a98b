//! Finding and loading prompts and their scripts.

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::Arc;
use crate::cli::options::GlobalArgs;
use crate::error::Error;
use crate::prompt::Prompt;
use crate::regular_file::{self, Links};
use crate::script::ScriptFactory;
use crate::script::sandbox::{Limits, LogSink};
use crate::{artefact, prompt, script_file};

/// Finds a prompt file by name (in the prompts dir) or path.
pub(super) fn resolve_prompt(g: &GlobalArgs, spec: &str) -> Result<Utf8PathBuf, Error> {
    let as_path = Utf8Path::new(spec);
    if as_path.is_file() {
        return Ok(as_path.to_owned());
    }
    let looks_like_path = spec.contains('/') || spec.contains('\\') || spec.ends_with(".md");
    let candidate = g.prompts_dir.join(format!("{spec}.md"));
    if !looks_like_path && candidate.is_file() {
        return Ok(candidate);
    }
    let available = prompt_files(&g.prompts_dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().map(String::from))
        .collect::<Vec<_>>();
    let hint = if available.is_empty() {
        format!("no prompts in {}", g.prompts_dir)
    } else {
        format!("available in {}: {}", g.prompts_dir, available.join(", "))
    };
    if looks_like_path {
        Err(Error::Usage(format!(
            "--prompt {spec}: no such file ({hint})"
        )))
    } else {
        Err(Error::Usage(format!(
            "--prompt {spec}: no prompt {candidate} ({hint})"
        )))
    }
}

/// The `.md` files of the prompts dir, sorted.
pub(super) fn prompt_files(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
        path: dir.to_string(),
        message: format!("cannot read the prompts dir: {e}"),
    })?;
    let mut files: Vec<Utf8PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| Utf8PathBuf::from_path_buf(e.path()).ok())
        .filter(|p| p.extension() == Some("md") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

pub(super) fn load_prompt(path: &Utf8Path) -> Result<(Prompt, Vec<u8>), Error> {
    let bytes = read_source(path).map_err(|message| Error::Io {
        path: path.to_string(),
        message: format!("cannot read the prompt: {message}"),
    })?;
    let prompt = prompt::parse(path, &bytes)?;
    Ok((prompt, bytes))
}

/// Loads the script paired with a prompt, if any, checking it once.
pub(super) fn load_script(
    g: &GlobalArgs,
    prompt: &Prompt,
    log: Arc<dyn LogSink>,
) -> Result<Option<ScriptFactory>, Error> {
    let Some(path) = script_file::discover(prompt, &g.scripts_dir).map_err(Error::Script)? else {
        return Ok(None);
    };
    let source = script_file::read(&artefact::recorded_path(&path)).map_err(Error::Script)?;
    ScriptFactory::new(source, prompt, Limits::from_env(), log)
        .map(Some)
        .map_err(Error::Script)
}

/// A prompt's bytes: a regular file (a symlink to one is fine), size-bounded;
/// the error says why not, without the path (the caller names it).
pub(super) fn read_source(path: &Utf8Path) -> Result<Vec<u8>, String> {
    regular_file::read(path, Links::Follow, regular_file::MAX_SOURCE_BYTES).map_err(|e| e.reason())
}
