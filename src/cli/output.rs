//! What commands print: human lines, JSON, tables, numbers and pasteable commands.

use std::io::Write;

use camino::Utf8Path;
use serde::Serialize;

use crate::cli::file_settings;
use crate::cli::options::GlobalArgs;
use crate::error::Error;

/// The global directories a printed command depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dirs {
    /// Only the data dir (`list`, `show`, `audit`, `resume`).
    Data,
    /// The data dir and the prompts and scripts dirs (`generate`, `check`, `preview`).
    All,
}

/// A convgen command for the user to paste, as they must type it: with
/// `--data-dir` (and, for [`Dirs::All`], `--prompts-dir`/`--scripts-dir`)
/// wherever a bare `convgen` in this directory would use another value, and
/// each word shell-quoted when it needs to be.
pub(super) fn user_command(g: &GlobalArgs, dirs: Dirs, args: &[&str]) -> String {
    let file = file_settings();
    let mut words: Vec<String> = vec!["convgen".into()];
    let mut global = |flag: &str, key: &str, builtin: &str, value: &Utf8Path| {
        let default = file.values.get(key).map_or(builtin, String::as_str);
        if value != Utf8Path::new(default) {
            words.push(format!("--{flag}"));
            words.push(value.to_string());
        }
    };
    global("data-dir", "data_dir", "batches", &g.data_dir);
    if dirs == Dirs::All {
        global("prompts-dir", "prompts_dir", "prompts", &g.prompts_dir);
        global("scripts-dir", "scripts_dir", "scripts", &g.scripts_dir);
    }
    words.extend(args.iter().map(|a| a.to_string()));
    words
        .iter()
        .map(|w| shlex::try_quote(w).map_or_else(|_| w.clone(), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Refuses a data dir that is missing or not a directory: reading it would
/// only show an empty registry, as if nothing had been generated.
pub(super) fn require_data_dir(g: &GlobalArgs) -> Result<(), Error> {
    let dir = &g.data_dir;
    let problem = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => "is not a directory",
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist",
        Err(e) => &format!("cannot be read ({e})"),
    };
    Err(Error::Usage(format!(
        "data dir {dir} {problem}, so there is no registry to read; point at the one you generated into with --data-dir DIR or CONVGEN_DATA_DIR"
    )))
}

/// Prints human messages on stderr unless `--quiet`, control characters
/// shown escaped (newlines kept).
pub(super) struct Say {
    pub(super) quiet: bool,
}

impl Say {
    pub(super) fn line(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{}", crate::escape::block(&msg.to_string()));
        }
    }
}

/// A reader that closed the pipe (`convgen list … --json | head`) is not an error.
pub(super) fn print_json<T: Serialize>(value: &T) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    let result = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|_| writeln!(out))
        .and_then(|_| out.flush());
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: "stdout".into(),
            message: e.to_string(),
        }),
        _ => Ok(()),
    }
}

/// A count with thousands separators, as people read it: `1,234,567`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as the progress bar shows it: `12.3/s`, one decimal.
pub(super) fn rate(per_sec: f64) -> String {
    if per_sec.is_finite() {
        format!("{:.1}/s", per_sec)
    } else {
        "-/s".to_string()
    }
}

/// Prints rows as aligned columns, each cell one line (control characters
/// shown escaped: cells quote prompts, scripts and servers).
pub(super) fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| crate::escape::line(&c).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(45_064), "45,064");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn rates_have_one_decimal() {
        assert_eq!(rate(12.3456), "12.3/s");
        assert_eq!(rate(0.0), "0.0/s");
        assert_eq!(rate(f64::INFINITY), "-/s");
    }

    #[test]
    fn printed_commands_name_the_data_dir_when_it_is_not_the_default() {
        let global = |data: &str| GlobalArgs {
            data_dir: data.into(),
            prompts_dir: "prompts".into(),
            scripts_dir: "other scripts".into(),
            quiet: false,
        };
        assert_eq!(
            user_command(&global("batches"), Dirs::Data, &["show", "run-000001"]),
            "convgen show run-000001"
        );
        assert_eq!(
            user_command(
                &global("/tmp/my data"),
                Dirs::Data,
                &["resume", "run-000002"]
            ),
            "convgen --data-dir '/tmp/my data' resume run-000002"
        );
        assert_eq!(
            user_command(&global("batches"), Dirs::All, &["check"]),
            "convgen --scripts-dir 'other scripts' check"
        );
    }
}
