//! Runs the binary with a deadline and reports its peak memory, read from the
//! child's own resource usage (`wait4`), not from a timer or a sampler.

use std::ffi::OsStr;
use std::io::Read;
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
        let mut cmd = self.command(args);
        for (key, value) in vars {
            cmd.env(key, value);
        }
        measure(cmd, deadline)
    }
}

/// Runs `cmd` to its end (or kills it at `deadline` and panics).
// The child is reaped by `wait4`, which std's `wait` cannot replace: only
// wait4 returns the child's resource usage.
#[allow(clippy::zombie_processes)]
pub fn measure(mut cmd: Command, deadline: Duration) -> Measured {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn convgen");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let pid = child.id() as libc::pid_t;
    let (status, usage) = loop {
        if let Some(done) = reap(pid) {
            break done;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = reap_blocking(pid);
            panic!(
                "convgen still running after {deadline:?} (killed)\nstderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Measured {
        run: Run {
            code,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        },
        // Linux reports ru_maxrss in KiB.
        peak_rss_mib: usage.ru_maxrss as u64 / 1024,
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Reaps `pid` if it has ended, with its resource usage.
fn reap(pid: libc::pid_t) -> Option<(i32, libc::rusage)> {
    wait4(pid, libc::WNOHANG)
}

fn reap_blocking(pid: libc::pid_t) -> Option<(i32, libc::rusage)> {
    wait4(pid, 0)
}

fn wait4(pid: libc::pid_t, flags: i32) -> Option<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; zeroed is a
    // valid value for it. std offers no way to read a child's rusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types.
    let reaped = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
    (reaped == pid).then_some((status, usage))
}

#[test]
fn a_measured_run_reports_the_childs_own_peak_memory() {
    let env = Env::with_demo_prompt();
    let done = env.run_measured(&["--version"], &[("X", "1")], Duration::from_secs(60));
    done.run.expect(0);
    // The binary itself is a few MiB resident; the test process is far more.
    assert!(
        (1..200).contains(&done.peak_rss_mib),
        "{}",
        done.peak_rss_mib
    );
}
