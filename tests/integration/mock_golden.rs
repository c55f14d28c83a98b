//! The mock's golden output: the sha256 of the conversations the offline
//! mock writes for the shipped prompts (and those prompts rewritten in the
//! other languages, and in one without a phrase bank) for fixed seeds, made
//! in process as `convgen preview` makes them. Pinned, so moving the mock's
//! phrases into data files is provably byte-identical; a deliberate change
//! of the mock's text updates these hashes, with its reason in the commit.
//!
//! The 200-conversation hashes run always; the full 2,000 per case are an
//! `#[ignore]`d test (`cargo test --test integration mock_golden -- --ignored`)
//! because a debug build takes some 25 s for them (the 200 take 3 s).

use std::collections::BTreeMap;
use std::sync::Arc;

use camino::Utf8Path;
use convgen::conversation::ScenarioMode;
use convgen::generate::Sample;
use convgen::hooks::{HookCtx, HookError, Hooks, NoScript};
use convgen::llm::MockGenerator;
use convgen::prompt::Prompt;
use convgen::rng::ConvRng;
use convgen::runlog::StderrLog;
use convgen::script::sandbox::Limits;
use convgen::script::{ScriptFactory, ScriptSource};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The variables the shipped Spanish prompt's placeholders need, given from
/// Rust (no Lua) for the runs without its script.
struct GivenVariables;

impl Hooks for GivenVariables {
    fn variables(
        &mut self,
        _: &HookCtx,
        _: &mut ConvRng,
    ) -> Result<Option<BTreeMap<String, Json>>, HookError> {
        let vars = [
            ("customer", Json::from("Lucía García")),
            ("agent", Json::from("Marta")),
            ("company", Json::from("Telvento")),
            ("importe", Json::from("42,50 €")),
            ("contract", Json::from("TV-0000001")),
            ("dni", Json::from("00000000T")),
            ("amount", Json::from(42.5)),
        ];
        Ok(Some(
            vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ))
    }
}

/// How one golden case makes its conversations.
#[derive(Clone, Copy)]
enum Host {
    /// The prompt's shipped script, every hook.
    Shipped,
    /// No script: every hook's default.
    None,
    /// No script, the Spanish prompt's placeholders given from Rust.
    Given,
}

/// One golden case: a shipped prompt, the language it is written in, the
/// hooks, the seed.
struct Case {
    prompt: &'static str,
    language: &'static str,
    host: Host,
    seed: u64,
}

const CASES: [Case; 6] = [
    Case {
        prompt: "call_center_es",
        language: "es",
        host: Host::Shipped,
        seed: 1,
    },
    Case {
        prompt: "call_center_es",
        language: "es",
        host: Host::Given,
        seed: 2,
    },
    Case {
        prompt: "call_center_es",
        language: "en",
        host: Host::Given,
        seed: 3,
    },
    Case {
        prompt: "support_en",
        language: "en",
        host: Host::None,
        seed: 1,
    },
    Case {
        prompt: "support_en",
        language: "es-ES",
        host: Host::None,
        seed: 4,
    },
    Case {
        prompt: "support_en",
        language: "de",
        host: Host::None,
        seed: 5,
    },
];

fn load_prompt(name: &str, language: &str) -> Prompt {
    let repo = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = repo.join(format!("prompts/{name}.md"));
    let mut prompt = convgen::prompt::load(&path).unwrap();
    prompt.language = language.to_string();
    prompt
}

fn hooks(case: &Case, prompt: &Prompt) -> (ScenarioMode, Box<dyn Hooks>) {
    match case.host {
        Host::None => (ScenarioMode::Weighted, Box::new(NoScript)),
        Host::Given => (ScenarioMode::Weighted, Box::new(GivenVariables)),
        Host::Shipped => {
            let repo = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
            let rel = format!("scripts/{}.lua", case.prompt);
            let bytes = std::fs::read(repo.join(&rel)).unwrap();
            let source = ScriptSource {
                path: rel.as_str().into(),
                bytes: Arc::from(bytes),
                sha256: String::new(),
            };
            let factory =
                ScriptFactory::new(source, prompt, Limits::default(), Arc::new(StderrLog)).unwrap();
            (ScenarioMode::Script, Box::new(factory.load_host().unwrap()))
        }
    }
}

/// The sha256 of conversations 1..=n of `case`: each one's scenario, status,
/// attempts, variables and turns (role and text), one after the other.
fn golden(case: &Case, n: u64) -> String {
    let prompt = load_prompt(case.prompt, case.language);
    let (mode, mut hooks) = hooks(case, &prompt);
    let start = convgen::prompt::parse_time("2026-03-02T09:00:00Z").unwrap();
    let sample = Sample {
        prompt: &prompt,
        script: None,
        mode,
        seed: case.seed,
        start,
        generator: &MockGenerator,
        max_attempts: 3,
    };
    let mut hash = Sha256::new();
    for index in 1..=n {
        let conv = sample.make(index, hooks.as_mut()).unwrap();
        let head = serde_json::json!([
            conv.scenario,
            conv.status,
            conv.attempts,
            conv.variables,
            conv.issues
        ]);
        hash.update(head.to_string().as_bytes());
        hash.update(b"\n");
        for turn in &conv.turns {
            hash.update(turn.role.as_bytes());
            hash.update(b"\x1f");
            hash.update(turn.text.as_bytes());
            hash.update(b"\n");
        }
        hash.update(b"\x1e");
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn check(n: u64, pinned: [&str; 6]) {
    let got: Vec<String> = CASES.iter().map(|c| golden(c, n)).collect();
    let mut wrong = Vec::new();
    for ((case, got), want) in CASES.iter().zip(&got).zip(pinned) {
        if got != want {
            wrong.push(format!(
                "{} in {} (seed {}): got {got}, pinned {want}",
                case.prompt, case.language, case.seed
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the mock's text changed for {n} conversations:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_mock_writes_the_pinned_200_conversations_per_prompt_and_language() {
    check(
        200,
        [
            "4ba74d7b988b4e0537164bffa70fe6cc17a5d60eeca708a4808aa768b98f7b6e",
            "045bcd5608bc5ec46f0333c163da484f271a9d820aec61af80e1fa722edc5ef7",
            "6d7fd3b962a5a3d5d3f8a795392efc477023123f598a00ab20b29320607bcd02",
            "130016f788b8e2fab014b755e4ef78e61c0d86de33ecfc97297a89acaa349aa1",
            "b462622fcd5888fd64ad5a076dec3d3b612cb5a282845d41d8f739d723416693",
            "be187cc371576ab513d81b6f2efd756e5f7125ca94c158dcbd76debb2d994327",
        ],
    );
}

#[test]
#[ignore = "some 25 s in a debug build; run with --ignored"]
fn the_mock_writes_the_pinned_2000_conversations_per_prompt_and_language() {
    check(
        2_000,
        [
            "d40eeddbe7babfe06120f2d5d74174ad46c855adc3ef927a98594bb5d8519f54",
            "9df2482bca2da9932c5aceead02a520344bc961bd0f38f5f8b18794b100ad0ba",
            "121e128081ede9958c7860ecc792cb800b2e54dcdb40b96db88780125d3136d9",
            "fe4dd6cdf5823e977b6e9cc15729d1587804918b97b56d0f8dcf1896d3060629",
            "d16f0c20c5cc45f1333c1f4fc6d4b64bb89424b6de83c0aa4484b0f29cdd4500",
            "7348fd892872c55ec2a16b09337a3ff29102a83b8cca418dcaacf55d14ec9ab7",
        ],
    );
}
