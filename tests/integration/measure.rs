//! Runs the binary with a deadline and reports its peak memory, read from the
//! child's own resource usage, not from a timer or a sampler.
//!
//! The binary runs under GNU `time` (`.ci/run` installs it): a child spawned
//! straight from this test process would report this process's peak too
//! (Linux carries the peak of the memory a child replaces at `exec` into its
//! usage), while `time` is small and reports exactly what its child used.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{Env, Run};

/// A finished run and its peak resident memory.
pub struct Measured {
    pub run: Run,
    pub peak_rss_mib: u64,
}

impl Env {
    /// Runs the binary with `vars` set; kills it and fails the test when it
    /// is still running after `deadline` (a hang).
    pub fn run_measured<V: AsRef<OsStr>>(
        &self,
        args: &[&str],
        vars: &[(&str, V)],
        deadline: Duration,
    ) -> Measured {
        self.run_wrapped(&[], args, vars, deadline)
    }

    /// [`Env::run_measured`] with the binary started through `wrapper`, a
    /// command that ends by running (`exec`ing) what follows it, such as
    /// `prlimit --as=… --`.
    pub fn run_wrapped<V: AsRef<OsStr>>(
        &self,
        wrapper: &[&str],
        args: &[&str],
        vars: &[(&str, V)],
        deadline: Duration,
    ) -> Measured {
        let report = self.path().join(".peak-rss");
        let mut timed = vec!["-f", "%M", "-o", report.to_str().expect("utf-8 temp path")];
        timed.extend_from_slice(wrapper);
        timed.push(env!("CARGO_BIN_EXE_convgen"));
        timed.extend_from_slice(args);
        let mut time = self.clean(Command::new("/usr/bin/time"));
        time.args(&timed);
        for (key, value) in vars {
            time.env(key, value);
        }
        let run = finish(time, deadline);
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        // GNU time reports KiB on the last line (after any note of its own).
        let kib: u64 = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak RSS from /usr/bin/time: {text:?}"));
        Measured {
            run,
            peak_rss_mib: kib / 1024,
        }
    }
}

/// Runs `cmd` in its own process group to its end, or kills the group at
/// `deadline` and panics.
fn finish(mut cmd: Command, deadline: Duration) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn /usr/bin/time (install GNU time)");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!(
                "convgen still running after {deadline:?} (killed)\nstderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[test]
fn a_measured_run_reports_the_childs_own_peak_memory() {
    // This process holds 400 MB; the child's figure must not include it.
    let ballast = vec![1u8; 400 << 20];
    let env = Env::with_demo_prompt();
    let done = env.run_measured(&["--version"], &[("X", "1")], Duration::from_secs(60));
    done.run.expect(0).stdout_has("convgen");
    assert!(
        (1..100).contains(&done.peak_rss_mib),
        "{}",
        done.peak_rss_mib
    );
    assert_eq!(
        ballast.iter().map(|b| *b as usize).sum::<usize>(),
        400 << 20
    );
}
