//! `print`, `log.info` and `log.warn`: lines for the run log, tagged with
//! the script and what is running ("hook `variables` for conv-id").

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use mlua::{Function, Lua, LuaString, MultiValue};

use super::sandbox::LogSink;

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
    /// Joins the values as `print` does (tostring, tabs) and writes the line.
    fn write(&self, values: MultiValue) -> mlua::Result<()> {
        let mut text = String::new();
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            let s: LuaString = self.tostring.call(v)?;
            text.push_str(&s.to_string_lossy());
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
}
