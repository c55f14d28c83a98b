//! The operator menu, driven in a real terminal (tmux) as a person would.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{Env, assert_has, read_json};

/// A program running in a tmux session; killed on drop.
pub struct Terminal {
    name: String,
}

impl Terminal {
    /// Runs the menu (`convgen` alone) in a terminal.
    pub fn start(env: &Env, name: &str) -> Terminal {
        Self::run(env, name, "", "")
            .expect("tmux is needed for the menu tests (.ci/run installs it)")
    }

    /// Runs `convgen ARGS` with `vars` (`NAME=value …`) set, in a terminal.
    fn run(env: &Env, name: &str, vars: &str, args: &str) -> Option<Terminal> {
        if Command::new("tmux").arg("-V").output().is_err() {
            return None;
        }
        let name = format!("{name}-{}", std::process::id());
        let script = format!(
            "cd '{}' && NO_COLOR=1 {vars} '{}' {args}; echo EXIT=$?; sleep 60",
            env.path().display(),
            env!("CARGO_BIN_EXE_convgen")
        );
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "220",
                "-y",
                "40",
                &script,
            ])
            .env_remove("CONVGEN_DATA_DIR")
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux could not start a session");
        Some(Terminal { name })
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the terminal shows its cursor.
    fn cursor_visible(&self) -> bool {
        let out = Command::new("tmux")
            .args(["display", "-p", "-t", &self.name, "#{cursor_flag}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Answers each `(question, keys)` in turn: waits for the question, then types the keys.
    fn answer(&self, steps: &[(&str, &[&str])]) {
        for (question, keys) in steps {
            self.wait_for(question);
            self.keys(keys);
        }
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            std::thread::sleep(Duration::from_millis(60));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[test]
fn an_operator_picks_a_prompt_a_fixed_scenario_and_sizes_then_gets_batches() {
    let env = Env::with_shipped_prompts();
    let t = Terminal::start(&env, "menu-flow");
    t.wait_for("Prompt");
    t.keys(&["Down", "Enter"]); // support_en
    t.wait_for("Scenario mode");
    t.keys(&["Down", "Down", "Enter"]); // fixed
    t.wait_for("Scenario:");
    t.keys(&["Down", "Enter"]); // the second scenario
    t.wait_for("How many conversations");
    // Invalid numbers are asked again with a message.
    t.keys(&["BSpace", "BSpace", "BSpace", "0", "Enter"]);
    t.wait_for("the total must be from 1 to 10000000; 0 is not");
    t.keys(&["BSpace", "l", "o", "t", "s", "Enter"]);
    t.wait_for("the total must be a whole number");
    t.keys(&["BSpace", "BSpace", "BSpace", "BSpace", "3", "0", "Enter"]);
    t.wait_for("Conversations per batch");
    t.keys(&["BSpace", "BSpace", "4", "0", "Enter"]);
    t.wait_for("the batch size must be from 1 to 30");
    t.keys(&["BSpace", "BSpace", "1", "0", "Enter"]);
    t.wait_for("Seed");
    t.keys(&["4", "2", "Enter"]);
    let confirm = t.wait_for("Generate 30 conversations of support_en in 3 batch(es)?");
    assert_has(&confirm, "provider: mock");
    t.keys(&["y"]);
    let summary = t.wait_for("EXIT=0");
    println!("--- what the operator saw ---\n{confirm}\n--- after the run ---\n{summary}");
    assert_has(&summary, "audit of the new batches: clean (3 batch(es))");
    let prompt = convgen::prompt::load(
        camino::Utf8Path::from_path(&env.path().join("prompts/support_en.md")).unwrap(),
    )
    .unwrap();
    let scenario = &prompt.scenarios[1].id;
    let mut n = 0;
    for i in 1..=3 {
        let batch = read_json(&env.data().join(format!("support_en-00000{i}/batch.json")));
        assert_eq!(batch["seed"], 42);
        for c in batch["conversations"].as_array().unwrap() {
            assert_eq!(&c["scenario"]["id"], scenario.as_str());
            n += 1;
        }
    }
    assert_eq!(n, 30);
}

#[test]
fn esc_before_confirming_writes_nothing() {
    let env = Env::with_shipped_prompts();
    let t = Terminal::start(&env, "menu-esc");
    t.wait_for("Prompt");
    t.keys(&["Escape"]);
    let screen = t.wait_for("EXIT=0");
    assert_has(&screen, "nothing generated");
    assert!(!env.data().exists(), "nothing written");

    let t2 = Terminal::start(&env, "menu-decline");
    // Every default taken, then the confirmation declined.
    t2.answer(&[
        ("Prompt", &["Enter"]),
        ("Scenario mode", &["Enter"]),
        ("How many conversations", &["Enter"]),
        ("Conversations per batch", &["Enter"]),
        ("Seed", &["Enter"]),
        ("Generate 100 conversations", &["n"]),
    ]);
    let screen = t2.wait_for("EXIT=0");
    assert_has(&screen, "nothing generated");
    assert!(!env.data().exists(), "nothing written");

    let t3 = Terminal::start(&env, "menu-ctrl-c");
    t3.answer(&[("Prompt", &["Enter"]), ("Scenario mode", &["C-c"])]);
    t3.wait_for("EXIT=");
    assert!(
        !env.data().exists(),
        "Ctrl-C before confirming writes nothing"
    );
}

#[test]
fn the_progress_bar_shows_the_pacing_against_a_rate_limit() {
    let (server, _stats) = crate::limiter::serve(
        crate::limiter::TokenBucket::new(5, 1),
        Duration::from_millis(50),
        crate::providers::good(),
    );
    let env = crate::providers::env();
    let vars = format!(
        "OPENAI_BASE_URL={}/v1 OPENAI_API_KEY=sk-term CONVGEN_MODEL=m",
        server.url()
    );
    let Some(term) = Terminal::run(
        &env,
        "convgen-pacing",
        &vars,
        "generate --prompt demo --total 30 --concurrency 4",
    ) else {
        eprintln!("tmux not installed: skipped");
        return;
    };
    // The bar counts the refusals as they come (not just "0 × 429").
    let deadline = Instant::now() + Duration::from_secs(20);
    let screen = loop {
        let screen = term.screen();
        let refused = screen.split(" × 429").next().and_then(|before| {
            before
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        });
        if refused.is_some_and(|n| n > 0) {
            break screen;
        }
        assert!(Instant::now() < deadline, "no 429 count shown:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        screen.contains("/s accepted, limit ") && screen.contains("conversations"),
        "{screen}"
    );
    let screen = term.wait_for("EXIT=");
    assert_has(&screen, "EXIT=0");
    assert_has(
        &screen,
        "openai: rate limited (HTTP 429); pacing requests to what it accepts",
    );
}

/// Issue 12: Ctrl-C on a menu list left the terminal without a cursor.
#[test]
fn issue12_ctrl_c_or_esc_in_the_menu_leaves_the_cursor_visible() {
    let env = Env::with_shipped_prompts();
    let t = Terminal::start(&env, "menu-cursor-c");
    t.wait_for("Prompt");
    t.keys(&["Enter"]);
    t.wait_for("Scenario mode");
    assert!(!t.cursor_visible(), "dialoguer hides the cursor on a list");
    t.keys(&["C-c"]);
    let screen = t.wait_for("EXIT=");
    assert_has(&screen, "EXIT=130");
    assert_has(&screen, "interrupted: nothing generated");
    assert!(t.cursor_visible(), "the cursor stays hidden after Ctrl-C");
    assert!(!env.data().exists());

    let t = Terminal::start(&env, "menu-cursor-esc");
    t.wait_for("Prompt");
    t.keys(&["Escape"]);
    t.wait_for("EXIT=0");
    assert!(t.cursor_visible(), "the cursor stays hidden after Esc");
}
