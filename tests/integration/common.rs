//! Runs the real binary in a temp dir.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temp working dir with a prompts dir, where convgen runs.
pub struct Env {
    pub dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Parses stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts stderr holds `needle`, showing stderr when it does not.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(self.stderr.contains(needle), "{}", self.stderr);
        self
    }

    /// Asserts stderr does not hold `needle`, showing stderr when it does.
    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        assert!(!self.stderr.contains(needle), "{}", self.stderr);
        self
    }

    /// Asserts stdout holds `needle`, showing stdout when it does not.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(self.stdout.contains(needle), "{}", self.stdout);
        self
    }
}

/// Asserts `text` holds `needle`, showing `text` when it does not.
#[track_caller]
pub fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{text}");
}

/// Asserts `text` does not hold `needle`, showing `text` when it does.
#[track_caller]
pub fn assert_lacks(text: &str, needle: &str) {
    assert!(!text.contains(needle), "{text}");
}

/// The string `key` of each element of the JSON array `items`.
pub fn each_str<'a>(items: &'a Value, key: &str) -> Vec<&'a str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

/// A command line's words, split at spaces: `words("generate --total 2")`.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Env {
    /// An empty working dir with an empty `prompts/`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("prompts")).unwrap();
        Self { dir }
    }

    /// An empty working dir whose `prompts/demo.md` is [`small_prompt`].
    pub fn with_demo_prompt() -> Self {
        let env = Self::new();
        env.write("prompts/demo.md", small_prompt("", None));
        env
    }

    /// A working dir holding copies of the shipped prompts and scripts.
    pub fn with_shipped_prompts() -> Self {
        let env = Self::new();
        for (dir, ext) in [
            ("prompts", "md"),
            ("scripts", "lua"),
            ("scripts/audits", "lua"),
        ] {
            std::fs::create_dir_all(env.path().join(dir)).unwrap();
            for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == ext) {
                    let to = env.path().join(dir).join(path.file_name().unwrap());
                    std::fs::copy(&path, to).unwrap();
                }
            }
        }
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The default data dir.
    pub fn data(&self) -> PathBuf {
        self.path().join("batches")
    }

    /// Writes a file relative to the working dir.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A command for the binary, in the working dir, with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_convgen"));
        cmd.args(args);
        self.clean(cmd)
    }

    /// Runs `script` with `sh -c` in the working dir, with a clean
    /// environment, where `convgen` is the binary: commands run as a user
    /// pasting them into a shell would run them.
    pub fn shell(&self, script: &str) -> Run {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!(
            "convgen() {{ '{}' \"$@\"; }}\n{script}",
            env!("CARGO_BIN_EXE_convgen")
        ));
        Run::from(self.clean(cmd).output().expect("run sh"))
    }

    /// Runs `cmd` in the working dir without convgen's or a provider's variables.
    pub fn clean(&self, mut cmd: Command) -> Command {
        cmd.current_dir(self.path());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().to_string();
            if key.starts_with("CONVGEN_")
                || key.starts_with("AZURE_OPENAI")
                || key.starts_with("OPENAI_")
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("NO_COLOR", "1");
        cmd
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run convgen"))
    }

    /// Runs the binary, expects exit 0 and returns stdout as JSON.
    pub fn run_json(&self, args: &[&str]) -> Value {
        self.run(args).expect(0).json()
    }

    /// Runs the binary to completion with `vars` set in its environment.
    pub fn run_with<V: AsRef<OsStr>>(&self, args: &[&str], vars: &[(&str, V)]) -> Run {
        let mut cmd = self.command(args);
        for (key, value) in vars {
            cmd.env(key, value);
        }
        Run::from(cmd.output().expect("run convgen"))
    }

    /// Runs the binary against the OpenAI-compatible server at `base_url`
    /// (model `test-model`), with `vars` set too.
    pub fn run_against(&self, base_url: &str, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut all = vec![
            ("OPENAI_BASE_URL", base_url),
            ("CONVGEN_MODEL", "test-model"),
        ];
        all.extend_from_slice(vars);
        self.run_with(args, &all)
    }

    /// Generates with fixed seed and start; returns the `--json` summary.
    pub fn generate(
        &self,
        prompt: &str,
        total: u32,
        batch: u32,
        seed: u64,
        extra: &[&str],
    ) -> Value {
        let total = total.to_string();
        let batch = batch.to_string();
        let seed = seed.to_string();
        let mut args = vec![
            "generate",
            "--prompt",
            prompt,
            "--total",
            &total,
            "--batch-size",
            &batch,
            "--seed",
            &seed,
            "--start",
            "2026-03-02T09:00:00Z",
            "--json",
        ];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        run.expect(0);
        run.json()
    }

    /// Asserts this dir and `other` hold the same `count` conversations: the
    /// same names, byte-identical but for `created_at`.
    #[track_caller]
    pub fn assert_same_conversations(&self, other: &Env, count: usize) {
        let (fa, fb) = (self.conversation_files(), other.conversation_files());
        assert_eq!(fa.len(), count);
        for (x, y) in fa.iter().zip(&fb) {
            assert_eq!(x.file_name(), y.file_name());
            assert_eq!(
                without_created_at(x),
                without_created_at(y),
                "{} differs",
                x.display()
            );
        }
    }

    /// Every conversation file under the data dir (not temporary files), sorted by path.
    pub fn conversation_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for batch in std::fs::read_dir(self.data()).unwrap() {
            let conv = batch.unwrap().path().join("conversations");
            if conv.is_dir() {
                for f in std::fs::read_dir(conv).unwrap() {
                    let path = f.unwrap().path();
                    // Temporary files of an unfinished write are not conversations.
                    if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
                        out.push(path);
                    }
                }
            }
        }
        out.sort();
        out
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small valid prompt; `extra_front` adds front-matter lines, `body` replaces the catalog.
pub fn small_prompt(extra_front: &str, body: Option<&str>) -> String {
    let body = body.unwrap_or(
        "## Scenarios\n\n### billing: Disputa de factura\n```toml\nweight = 3\ntone = \"molesto\"\n```\nCobro doble.\n\n### cancel: Baja del servicio\nQuiere la baja.\n",
    );
    format!(
        "+++\ntitle = \"Prueba\"\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 6\ntimestamps = true\n{extra_front}\n+++\nUsted es un agente de atención al cliente.\n\n{body}"
    )
}

/// A conversation file's text without its `created_at` line: what must be
/// byte-identical between two runs with the same seed.
pub fn without_created_at(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"created_at\""))
        .collect::<Vec<_>>()
        .join("\n")
}
