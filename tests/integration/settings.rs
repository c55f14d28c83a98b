//! `convgen.toml`: flags > environment > file > defaults; never keys.

use crate::common::{Env, words};
use crate::llm_server::{Reply, TestServer, completion, conversation_json};

#[test]
fn precedence_is_flags_then_environment_then_file_then_defaults() {
    let env = Env::with_demo_prompt();
    env.write(
        "convgen.toml",
        "data_dir = \"from-file\"\nconcurrency = 3\nmax_attempts = 2\n",
    );
    env.run(&["generate", "--prompt", "demo", "--total", "2"])
        .expect(0);
    assert!(
        env.path().join("from-file/registry.redb").is_file(),
        "file sets the data dir"
    );
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["config"]["concurrency"], 3);
    assert_eq!(runs[0]["config"]["max_attempts"], 2);

    let from_env = [("CONVGEN_DATA_DIR", "from-env")];
    let run = env.run_with(
        &words("generate --prompt demo --total 1 --concurrency 5"),
        &from_env,
    );
    run.expect(0);
    assert!(
        env.path().join("from-env/registry.redb").is_file(),
        "environment beats the file"
    );
    let runs = env.run_with(&["list", "runs", "--json"], &from_env).json();
    assert_eq!(runs[0]["config"]["concurrency"], 5, "a flag beats the file");
    let run = env.run_with(
        &words("--data-dir from-flag generate --prompt demo --total 1"),
        &from_env,
    );
    run.expect(0);
    assert!(
        env.path().join("from-flag/registry.redb").is_file(),
        "a flag beats the environment"
    );

    let config = env.run_json(&["config", "--json"]);
    let row = |name: &str| {
        config
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("data_dir")["value"], "from-file");
    assert!(
        row("data_dir")["source"]
            .as_str()
            .unwrap()
            .ends_with("convgen.toml")
    );
    assert_eq!(row("provider")["source"], "default");
}

#[test]
fn endpoints_and_model_can_come_from_the_file() {
    let server = TestServer::start(|_, _| {
        Reply::ok(completion(
            &conversation_json(&["agent", "client"], 6),
            "stop",
            1,
            1,
        ))
    });
    let env = Env::with_demo_prompt();
    env.write(
        "convgen.toml",
        format!(
            "provider = \"openai\"\nmodel = \"file-model\"\n[openai]\nbase_url = \"{}/v1\"\n",
            server.url()
        ),
    );
    let run = env.run(&["generate", "--prompt", "demo", "--total", "1", "--json"]);
    run.expect(0);
    assert_eq!(run.json()["model"], "file-model");
    assert_eq!(server.requests()[0].json()["model"], "file-model");
}

#[test]
fn keys_and_unknown_keys_in_the_file_are_refused() {
    let env = Env::with_demo_prompt();
    env.write(
        "convgen.toml",
        "model = \"m\"\n[openai]\napi_key = \"sk-abc\"\n",
    );
    let run = env.run(&["list", "runs"]);
    run.expect(2);
    run.stderr_has("convgen.toml:3: `openai.api_key` looks like a secret");
    assert!(!run.stderr.contains("sk-abc"));
    env.write("convgen.toml", "datadir = \"x\"\n");
    let run = env.run(&["list", "runs"]);
    run.expect(2);
    run.stderr_has("did you mean `data_dir`?");
}

#[test]
fn completions_are_printed_for_each_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let run = env.run(&["completions", shell]);
        run.expect(0);
        assert!(
            run.stdout.contains("generate") && run.stdout.contains("audit"),
            "{shell}"
        );
    }
}
