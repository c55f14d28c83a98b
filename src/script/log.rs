//! `print`, `log.info` and `log.warn`: lines for the run log, tagged with
//! the script and what is running ("hook `variables` for conv-id").
//!
//! What a script logs is bounded: a line keeps its first [`MAX_LINE`]
//! bytes, and a run's scripts log at most [`MAX_RUN_LOG`] in all
//! ([`Capped`]); past that, one warning says so and later lines are dropped.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mlua::{Function, Lua, LuaString, MultiValue};

use super::sandbox::LogSink;
use super::size_text;

/// The longest line a script may log: 8 KiB; the rest is cut, and the line
/// says how much.
pub const MAX_LINE: usize = 8 << 10;

/// What a run log line adds to the origin and message, at most.
const LINE_OVERHEAD: usize = 64;

/// What a run's scripts may log in all: 256 MiB.
pub const MAX_RUN_LOG: usize = 256 << 20;

/// A sink that passes on at most [`MAX_RUN_LOG`] of script lines; one per
/// run, shared by every state of the run.
pub struct Capped {
    inner: Arc<dyn LogSink>,
    written: AtomicUsize,
}

/// Wraps `inner` in a [`Capped`] sink.
pub fn capped(inner: Arc<dyn LogSink>) -> Arc<dyn LogSink> {
    Arc::new(Capped {
        inner,
        written: AtomicUsize::new(0),
    })
}

impl LogSink for Capped {
    fn log(&self, level: &str, origin: &str, message: &str) {
        // What a line costs with the run log's time stamp and run id.
        let size = origin.len() + message.len() + LINE_OVERHEAD;
        let before = self
            .written
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(size))
            })
            .unwrap_or(usize::MAX);
        if before.saturating_add(size) <= MAX_RUN_LOG {
            self.inner.log(level, origin, message);
        } else if before <= MAX_RUN_LOG {
            self.inner.log(
                "warn",
                origin,
                &format!(
                    "the scripts' log reached {} for this run; later lines are dropped",
                    size_text(MAX_RUN_LOG)
                ),
            );
        }
    }
}

/// Installs `print` and the `log` table; `origin` says what is running now.
pub fn register(
    lua: &Lua,
    script: &str,
    sink: Arc<dyn LogSink>,
    origin: Rc<RefCell<String>>,
) -> mlua::Result<()> {
    let tostring: Function = lua.globals().raw_get("tostring")?;
    let logger = |level: &'static str| {
        let line = Line {
            level,
            script: script.to_string(),
            sink: sink.clone(),
            origin: origin.clone(),
            tostring: tostring.clone(),
        };
        lua.create_function(move |_, values: MultiValue| line.write(values))
    };
    lua.globals().raw_set("print", logger("info")?)?;
    let log = lua.create_table()?;
    log.raw_set("info", logger("info")?)?;
    log.raw_set("warn", logger("warn")?)?;
    lua.globals().raw_set("log", log)
}

/// One logging function's settings.
struct Line {
    level: &'static str,
    script: String,
    sink: Arc<dyn LogSink>,
    origin: Rc<RefCell<String>>,
    /// The base library's `tostring`, as it was at registration (a script
    /// may replace the global).
    tostring: Function,
}

impl Line {
    /// Joins the values as `print` does (tostring, tabs) and writes the
    /// line, cut at [`MAX_LINE`] bytes.
    fn write(&self, values: MultiValue) -> mlua::Result<()> {
        let mut bytes: Vec<u8> = Vec::new();
        let mut cut = 0usize;
        for (i, v) in values.into_iter().enumerate() {
            let s: LuaString = self.tostring.call(v)?;
            let s = s.as_bytes();
            let tab: &[u8] = if i > 0 { b"\t" } else { b"" };
            for part in [tab, &s[..]] {
                let room = MAX_LINE - bytes.len();
                bytes.extend_from_slice(&part[..part.len().min(room)]);
                cut = cut.saturating_add(part.len().saturating_sub(room));
            }
        }
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if cut > 0 {
            // A character cut in two shows as one replacement character.
            text.push_str(&format!("… ({cut} bytes cut)"));
        }
        let origin = self
            .origin
            .try_borrow()
            .map(|o| o.clone())
            .unwrap_or_default();
        self.sink
            .log(self.level, &format!("{} ({origin})", self.script), &text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Lines(Mutex<Vec<String>>);

    /// Counts what it is given, keeping only the last line.
    #[derive(Default)]
    struct Counted {
        bytes: AtomicUsize,
        lines: AtomicUsize,
        last: Mutex<String>,
    }

    impl LogSink for Counted {
        fn log(&self, _: &str, origin: &str, message: &str) {
            self.bytes.fetch_add(
                origin.len() + message.len() + LINE_OVERHEAD,
                Ordering::SeqCst,
            );
            self.lines.fetch_add(1, Ordering::SeqCst);
            *self.last.lock().unwrap() = message.to_string();
        }
    }

    impl LogSink for Lines {
        fn log(&self, level: &str, origin: &str, message: &str) {
            self.0
                .lock()
                .unwrap()
                .push(format!("[{level}] {origin}: {message}"));
        }
    }

    #[test]
    fn print_and_log_write_tagged_lines() {
        let lua = Lua::new();
        let lines = Arc::new(Lines::default());
        let origin = Rc::new(RefCell::new("hook `variables` for c-1".to_string()));
        register(&lua, "scripts/t.lua", lines.clone(), origin).unwrap();
        lua.load("tostring = nil print('a', 1, nil, true) log.warn('careful') log.info()")
            .exec()
            .unwrap();
        assert_eq!(
            *lines.0.lock().unwrap(),
            [
                "[info] scripts/t.lua (hook `variables` for c-1): a\t1\tnil\ttrue",
                "[warn] scripts/t.lua (hook `variables` for c-1): careful",
                "[info] scripts/t.lua (hook `variables` for c-1): ",
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_and_a_runs_log_is_bounded() {
        let lua = Lua::new();
        let lines = Arc::new(Lines::default());
        let origin = Rc::new(RefCell::new("top level".to_string()));
        register(&lua, "t.lua", capped(lines.clone()), origin).unwrap();
        lua.load("local big = string.rep('é', 10000) print(big, 'tail')")
            .exec()
            .unwrap();
        let line = lines.0.lock().unwrap().pop().unwrap();
        let text = line.strip_prefix("[info] t.lua (top level): ").unwrap();
        let kept = text.split('…').next().unwrap();
        assert!(kept.len() <= MAX_LINE + 3, "{}", kept.len());
        assert!(
            text.ends_with(&format!("… ({} bytes cut)", 20_005 - MAX_LINE)),
            "{text:.80}"
        );
        // 256 MiB of 8 KiB lines, then some: one warning, then nothing.
        let counted = Arc::new(Counted::default());
        let origin = Rc::new(RefCell::new("top level".to_string()));
        register(&lua, "t.lua", capped(counted.clone()), origin).unwrap();
        let n = MAX_RUN_LOG / MAX_LINE + 10;
        lua.load(format!(
            "local l = string.rep('x', 8192) for i = 1, {n} do print(l) end"
        ))
        .exec()
        .unwrap();
        let bytes = counted.bytes.load(Ordering::SeqCst);
        assert!(bytes <= MAX_RUN_LOG, "{bytes}");
        let last = counted.last.lock().unwrap();
        assert!(
            last.contains("reached 256 MiB for this run; later lines are dropped"),
            "{last:.200}"
        );
        let lines = counted.lines.load(Ordering::SeqCst);
        assert!(lines < n, "lines past the limit are dropped");
    }
}
