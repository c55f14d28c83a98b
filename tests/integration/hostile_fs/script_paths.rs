//! Script paths that are FIFOs or lead out of the project (issue 14,
//! points 6 and 10).

use super::{generated, mkfifo, run};
use crate::common::{Env, assert_has, assert_lacks, small_prompt};

#[test]
fn issue14_a_qa_script_that_is_a_fifo_does_not_hang_audit() {
    let env = generated();
    mkfifo(&env.path().join("qa.lua"));
    let done = run(&env, "audit --all --script qa.lua");
    done.run
        .expect(2)
        .stderr_has("--script: qa.lua is not a regular file (it is a FIFO)");
}

#[test]
fn issue14_a_front_matter_script_that_is_a_fifo_is_not_a_regular_file() {
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("script = \"scripts/pipe.lua\"", None),
    );
    std::fs::create_dir_all(env.path().join("scripts")).unwrap();
    mkfifo(&env.path().join("scripts/pipe.lua"));
    for line in ["check demo", "generate --prompt demo --total 1"] {
        let done = run(&env, line);
        done.run.expect(2);
        // `check` lists problems on stdout, `generate` refuses on stderr.
        let said = format!("{}{}", done.run.stdout, done.run.stderr);
        assert_has(
            &said,
            "prompts/demo.md: front matter `script` = \"scripts/pipe.lua\"",
        );
        assert_has(&said, "not a regular file (it is a FIFO)");
        assert_lacks(&said, "does not exist");
    }
    // The paired script too.
    let env = Env::with_demo_prompt();
    std::fs::create_dir_all(env.path().join("scripts")).unwrap();
    mkfifo(&env.path().join("scripts/demo.lua"));
    run(&env, "generate --prompt demo --total 1")
        .run
        .expect(2)
        .stderr_has("scripts/demo.lua: the script paired with prompts/demo.md is not a regular file (it is a FIFO)");
}

#[test]
fn issue14_a_front_matter_script_outside_the_project_is_refused() {
    // A valid script elsewhere: run as Lua before, it would have worked.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(
        elsewhere.path().join("evil.lua"),
        "local M = {}\nfunction M.variables(ctx)\n  return {}\nend\nreturn M\n",
    )
    .unwrap();
    let name = elsewhere
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for named in [
        format!("../{name}/evil.lua"),
        "../../../../../../../../etc/passwd".to_string(),
        "/dev/zero".to_string(),
    ] {
        let env = Env::new();
        env.write(
            "prompts/demo.md",
            small_prompt(&format!("script = \"{named}\""), None),
        );
        let done = run(&env, "generate --prompt demo --total 1");
        done.run.expect(2).stderr_has(&format!(
            "prompts/demo.md: front matter `script` = \"{named}\" leads outside the project"
        ));
        assert!(
            !env.data().join("registry.redb").exists(),
            "{named}: nothing registered"
        );
    }
    // Inside the project, beside the prompt, `..` steps are fine.
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("script = \"../lua/demo.lua\"", None),
    );
    env.write("lua/demo.lua", "return {}\n");
    run(&env, "generate --prompt demo --total 1").run.expect(0);
}
