//! Which script a prompt pairs with (SPEC §2), and reading script files as
//! regular files only (SPEC §6).
//!
//! A front matter's `script` names a file of the project: it is looked up
//! relative to the working directory, then to the prompt's folder, and once
//! its `..` steps and symlinks are resolved it must lie inside the working
//! directory, the scripts dir or the prompt's own folder. `../../etc/passwd`
//! is refused, never run as Lua; a FIFO or a device is "not a regular file",
//! never waited on.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};

use crate::prompt::{Prompt, sha256_hex};
use crate::regular_file::{self, FileError, Links};
use crate::script::ScriptSource;

/// True when `file` lies inside one of `roots` (all canonical paths).
pub fn within(file: &Utf8Path, roots: &[Utf8PathBuf]) -> bool {
    roots.iter().any(|root| file.starts_with(root))
}

/// The folders a front matter's `script` may lead into, resolved.
fn project_roots(prompt: &Prompt, scripts_dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let prompt_dir = match prompt.path.parent() {
        Some(d) if !d.as_str().is_empty() => d,
        _ => Utf8Path::new("."),
    };
    [Utf8Path::new("."), scripts_dir, prompt_dir]
        .iter()
        .filter_map(|d| d.canonicalize_utf8().ok())
        .collect()
}

/// Finds the script paired with a prompt: the front matter's `script`, else
/// `<scripts dir>/<stem>.lua` when it exists.
pub fn discover(prompt: &Prompt, scripts_dir: &Utf8Path) -> Result<Option<Utf8PathBuf>, String> {
    let Some(named) = &prompt.script else {
        let stem = prompt.path.file_stem().unwrap_or(&prompt.name);
        let paired = scripts_dir.join(format!("{stem}.lua"));
        return match std::fs::metadata(&paired) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Ok(m) if !m.is_file() => Err(format!(
                "{paired}: the script paired with {} is not a regular file (it is {})",
                prompt.path,
                regular_file::kind_of(m.file_type())
            )),
            // Reading it says what else is wrong.
            _ => Ok(Some(paired)),
        };
    };
    let key = format!("{}: front matter `script` = \"{named}\"", prompt.path);
    let beside = prompt.path.parent().map(|d| d.join(named));
    let Some(found) = std::iter::once(Utf8PathBuf::from(named))
        .chain(beside)
        .find(|p| p.exists())
    else {
        return Err(format!("{key} names a file that does not exist"));
    };
    let real = found
        .canonicalize_utf8()
        .map_err(|e| format!("{key}: cannot resolve {found}: {e}"))?;
    if !within(&real, &project_roots(prompt, scripts_dir)) {
        return Err(format!(
            "{key} leads outside the project (to {real}); a prompt's script must lie in the working directory, the scripts dir ({scripts_dir}) or the prompt's folder"
        ));
    }
    match std::fs::metadata(&real) {
        Ok(m) if !m.is_file() => Err(format!(
            "{key} names {found}, which is not a regular file (it is {})",
            regular_file::kind_of(m.file_type())
        )),
        _ => Ok(Some(found)),
    }
}

/// Reads a script file: a regular file (a symlink to one is fine) of at
/// most [`regular_file::MAX_SOURCE_BYTES`].
pub fn read(path: &Utf8Path) -> Result<ScriptSource, String> {
    let bytes = regular_file::read(path, Links::Follow, regular_file::MAX_SOURCE_BYTES).map_err(
        |e| match e {
            FileError::Io { source, .. } => format!("{path}: cannot read the script: {source}"),
            other => other.to_string(),
        },
    )?;
    Ok(ScriptSource {
        path: path.to_owned(),
        sha256: sha256_hex(&bytes),
        bytes: bytes.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_within_a_root_only_below_it() {
        let roots = [
            Utf8PathBuf::from("/p/work"),
            Utf8PathBuf::from("/p/scripts"),
        ];
        assert!(within(Utf8Path::new("/p/work/scripts/x.lua"), &roots));
        assert!(within(Utf8Path::new("/p/scripts/x.lua"), &roots));
        assert!(!within(Utf8Path::new("/etc/passwd"), &roots));
        // A sibling whose name starts the same is not inside.
        assert!(!within(Utf8Path::new("/p/workshop/x.lua"), &roots));
        assert!(!within(Utf8Path::new("/p/x.lua"), &[]));
    }
}
