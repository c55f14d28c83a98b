//! What convgen adds to a script's globals: the seeded `rng` handle,
//! `math.random` bound to it, `print` / `log.*` routed to the run log, and
//! the `text` library.
//!
//! The generator lives in one userdata per state; the host swaps the
//! conversation's generator in for the length of each hook call, so every
//! draw is tied to (run seed, conversation index) and never to a worker.

use std::cell::RefCell;
use std::ffi::c_int;
use std::rc::Rc;
use std::sync::Arc;

use mlua::{AnyUserData, Lua, MultiValue, ffi};

use super::sandbox::LogSink;
use crate::rng::ConvRng;

/// The state's one generator: a Lua userdata holding a [`ConvRng`], handed to
/// scripts as `ctx.rng` and behind `math.random`. The host swaps each
/// conversation's generator into it for the length of a hook call.
///
/// Its methods are raw C functions: scripts draw several numbers per turn,
/// and a general-purpose callback costs more than the draw. Lua never moves
/// a userdata, so the pointer stays valid while `handle` is held.
pub struct RngSlot {
    pub handle: AnyUserData,
    ptr: *mut ConvRng,
}

impl RngSlot {
    /// Exchanges the state's generator with `rng`.
    pub fn swap(&self, rng: &mut ConvRng) {
        // SAFETY: `ptr` points into the userdata `handle` keeps alive; the
        // state is not running script code while the host swaps.
        unsafe { std::ptr::swap(self.ptr, rng) }
    }
}

const RNG_TYPE: &std::ffi::CStr = c"convgen.rng";

/// The generator behind argument 1 (`rng:int(…)`), or a Lua error.
unsafe fn this_rng<'a>(state: *mut ffi::lua_State) -> &'a mut ConvRng {
    unsafe { &mut *(ffi::luaL_checkudata(state, 1, RNG_TYPE.as_ptr()) as *mut ConvRng) }
}

/// The generator in upvalue 1 (`math.random`).
unsafe fn upvalue_rng<'a>(state: *mut ffi::lua_State) -> &'a mut ConvRng {
    unsafe { &mut *(ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)) as *mut ConvRng) }
}

/// Pushes an integer drawn from [a, b], or raises the error `what` names.
unsafe fn push_int(state: *mut ffi::lua_State, rng: &mut ConvRng, a: i64, b: i64) -> c_int {
    unsafe {
        match rng.int(a, b) {
            Some(n) => {
                ffi::lua_pushinteger(state, n);
                1
            }
            None => ffi::luaL_error(
                state,
                c"rng:int(%I, %I): the first bound must not exceed the second".as_ptr(),
                a,
                b,
            ),
        }
    }
}

unsafe extern "C-unwind" fn rng_int(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let rng = this_rng(state);
        let a = ffi::luaL_checkinteger(state, 2);
        let b = ffi::luaL_checkinteger(state, 3);
        push_int(state, rng, a, b)
    }
}

unsafe extern "C-unwind" fn rng_float(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let x = this_rng(state).float();
        ffi::lua_pushnumber(state, x);
        1
    }
}

unsafe extern "C-unwind" fn rng_choice(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let rng = this_rng(state);
        ffi::luaL_checktype(state, 2, ffi::LUA_TTABLE);
        let n = ffi::lua_rawlen(state, 2) as u64;
        if n == 0 {
            return ffi::luaL_error(state, c"rng:choice(list): the list is empty".as_ptr());
        }
        let i = rng.below(n) + 1;
        ffi::lua_rawgeti(state, 2, i as ffi::lua_Integer);
        1
    }
}

/// Why `weighted` cannot draw.
enum WeightError {
    NotATable(c_int),
    NotANumber(c_int),
    NoPositive,
}

unsafe extern "C-unwind" fn rng_weighted(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let rng = this_rng(state);
        ffi::luaL_checktype(state, 2, ffi::LUA_TTABLE);
        ffi::luaL_checklstring(state, 3, std::ptr::null_mut());
        // Only raw reads while `weights` lives (none of them can raise); the
        // list ends at its first nil, as with ipairs.
        let mut weights: Vec<f64> = Vec::new();
        let mut failure = None;
        let mut i = 1;
        loop {
            if ffi::lua_rawgeti(state, 2, i) == ffi::LUA_TNIL {
                ffi::lua_pop(state, 1);
                break;
            }
            if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                failure = Some(WeightError::NotATable(ffi::lua_type(state, -1)));
                ffi::lua_pop(state, 1);
                break;
            }
            ffi::lua_pushvalue(state, 3);
            let kind = ffi::lua_rawget(state, -2);
            let w = match kind {
                ffi::LUA_TNUMBER => ffi::lua_tonumberx(state, -1, std::ptr::null_mut()),
                ffi::LUA_TNIL => 0.0,
                other => {
                    failure = Some(WeightError::NotANumber(other));
                    ffi::lua_pop(state, 2);
                    break;
                }
            };
            ffi::lua_pop(state, 2);
            weights.push(w);
            i += 1;
        }
        let picked = match failure {
            Some(f) => Err(f),
            None => rng.weighted_index(&weights).ok_or(WeightError::NoPositive),
        };
        drop(weights);
        match picked {
            Ok(index) => {
                ffi::lua_rawgeti(state, 2, index as ffi::lua_Integer + 1);
                1
            }
            Err(e) => {
                let key = ffi::lua_tolstring(state, 3, std::ptr::null_mut());
                match e {
                    WeightError::NotATable(t) => ffi::luaL_error(
                        state,
                        c"rng:weighted(list, \"%s\"): items must be tables, found a %s".as_ptr(),
                        key,
                        ffi::lua_typename(state, t),
                    ),
                    WeightError::NotANumber(t) => ffi::luaL_error(
                        state,
                        c"rng:weighted(list, \"%s\"): an item's `%s` is a %s, not a number"
                            .as_ptr(),
                        key,
                        key,
                        ffi::lua_typename(state, t),
                    ),
                    WeightError::NoPositive => ffi::luaL_error(
                        state,
                        c"rng:weighted(list, \"%s\"): no item has a positive `%s`".as_ptr(),
                        key,
                        key,
                    ),
                }
            }
        }
    }
}

/// `math.random([m [, n]])` with Lua's semantics, on the conversation's generator.
unsafe extern "C-unwind" fn math_random(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let rng = upvalue_rng(state);
        match ffi::lua_gettop(state) {
            0 => {
                ffi::lua_pushnumber(state, rng.float());
                1
            }
            1 => {
                let m = ffi::luaL_checkinteger(state, 1);
                push_int(state, rng, 1, m)
            }
            2 => {
                let m = ffi::luaL_checkinteger(state, 1);
                let n = ffi::luaL_checkinteger(state, 2);
                push_int(state, rng, m, n)
            }
            _ => ffi::luaL_error(state, c"math.random takes at most two arguments".as_ptr()),
        }
    }
}

/// `math.randomseed(x)`: restarts the current generator from `x`, deterministically.
unsafe extern "C-unwind" fn math_randomseed(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let seed = ffi::luaL_optinteger(state, 1, 0);
        *upvalue_rng(state) = ConvRng::new(seed as u64);
        0
    }
}

/// Creates the state's generator userdata, its methods, and `math.random`
/// / `math.randomseed` bound to it.
fn install_rng(lua: &Lua) -> mlua::Result<RngSlot> {
    // SAFETY: the closure writes a fresh ConvRng into a fresh userdata of its
    // size (Lua aligns userdata for any C type), builds the metatable, and
    // returns the userdata alone. ConvRng needs no finalizer.
    let handle: AnyUserData = unsafe {
        lua.exec_raw((), |state| {
            let ptr = ffi::lua_newuserdatauv(state, std::mem::size_of::<ConvRng>(), 0);
            std::ptr::write(ptr as *mut ConvRng, ConvRng::new(0));
            if ffi::luaL_newmetatable(state, RNG_TYPE.as_ptr()) != 0 {
                ffi::lua_createtable(state, 0, 4);
                let methods: [(&std::ffi::CStr, ffi::lua_CFunction); 4] = [
                    (c"int", rng_int),
                    (c"float", rng_float),
                    (c"choice", rng_choice),
                    (c"weighted", rng_weighted),
                ];
                for (name, f) in methods {
                    ffi::lua_pushcfunction(state, f);
                    ffi::lua_setfield(state, -2, name.as_ptr());
                }
                ffi::lua_setfield(state, -2, c"__index".as_ptr());
                // getmetatable(ctx.rng) gives this, and setmetatable is refused.
                ffi::lua_pushstring(state, c"convgen.rng".as_ptr());
                ffi::lua_setfield(state, -2, c"__metatable".as_ptr());
            }
            ffi::lua_setmetatable(state, -2);
            // math.random and math.randomseed, with the userdata as upvalue.
            ffi::lua_getglobal(state, c"math".as_ptr());
            ffi::lua_pushvalue(state, -2);
            ffi::lua_pushcclosure(state, math_random, 1);
            ffi::lua_setfield(state, -2, c"random".as_ptr());
            ffi::lua_pushvalue(state, -2);
            ffi::lua_pushcclosure(state, math_randomseed, 1);
            ffi::lua_setfield(state, -2, c"randomseed".as_ptr());
            ffi::lua_pop(state, 1);
        })?
    };
    // A userdata's block address is fixed for its lifetime; for a full
    // userdata `to_pointer` is that block.
    let ptr = handle.to_pointer() as *mut ConvRng;
    Ok(RngSlot { handle, ptr })
}

fn render(lua: &Lua, values: MultiValue) -> mlua::Result<String> {
    let tostring: mlua::Function = lua.globals().get("tostring")?;
    let mut parts = Vec::with_capacity(values.len());
    for v in values {
        parts.push(tostring.call::<String>(v)?);
    }
    Ok(parts.join("\t"))
}

/// Installs the generator (`ctx.rng`, `math.random`), `print`, `log` and
/// `text` in a state; returns the generator's slot.
pub fn register(
    lua: &Lua,
    script: &str,
    log: Arc<dyn LogSink>,
    origin: Rc<RefCell<String>>,
) -> mlua::Result<RngSlot> {
    let globals = lua.globals();
    let rng = install_rng(lua)?;

    let make_logger = |level: &'static str| {
        let log = log.clone();
        let origin = origin.clone();
        let script = script.to_string();
        lua.create_function(move |lua, values: MultiValue| {
            let text = render(lua, values)?;
            log.log(level, &format!("{script} ({})", origin.borrow()), &text);
            Ok(())
        })
    };
    globals.set("print", make_logger("info")?)?;
    let log_table = lua.create_table()?;
    log_table.set("info", make_logger("info")?)?;
    log_table.set("warn", make_logger("warn")?)?;
    globals.set("log", log_table)?;
    super::text::register(lua)?;
    Ok(rng)
}

#[cfg(test)]
mod tests {
    use super::super::sandbox::{Limits, Sandbox, StderrLog};
    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox::new("scripts/t.lua", Limits::default(), Arc::new(StderrLog)).unwrap()
    }

    /// Runs `code` as a function of `rng` (the ctx handle) with conversation seed 7.
    fn call(sb: &Sandbox, code: &str) -> Result<MultiValue, String> {
        let f: mlua::Function = sb
            .lua()
            .load(format!("return function(rng) {code} end"))
            .eval()
            .unwrap();
        let mut rng = ConvRng::new(7);
        sb.call(
            format_args!("test"),
            &f,
            MultiValue::from_iter([mlua::Value::UserData(sb.rng_handle())]),
            &mut rng,
        )
        .map_err(|e| e.0)
    }

    #[test]
    fn rng_methods_and_math_random_draw_from_the_conversation_generator() {
        let sb = sandbox();
        let got = call(
            &sb,
            "return rng:int(1, 6), rng:float(), math.random(10), rng:choice({'a','b','c'}), \
             rng:weighted({{id='x', w=0}, {id='y', w=2}}, 'w').id, math.random()",
        )
        .unwrap();
        let mut r = ConvRng::new(7);
        let expect_int = r.int(1, 6).unwrap();
        let expect_float = r.float();
        let expect_random = r.int(1, 10).unwrap();
        let expect_choice = ["a", "b", "c"][r.below(3) as usize];
        let _ = r.weighted_index(&[0.0, 2.0]);
        let expect_last = r.float();
        let v: Vec<mlua::Value> = got.into_iter().collect();
        assert_eq!(v[0].as_i64(), Some(expect_int));
        assert_eq!(v[1].as_f64(), Some(expect_float));
        assert_eq!(v[2].as_i64(), Some(expect_random));
        assert_eq!(v[3].to_string().unwrap(), expect_choice);
        assert_eq!(v[4].to_string().unwrap(), "y");
        assert_eq!(v[5].as_f64(), Some(expect_last));
    }

    #[test]
    fn rng_misuse_is_a_clear_error() {
        let sb = sandbox();
        for (code, needle) in [
            (
                "return rng:int(5, 1)",
                "rng:int(5, 1): the first bound must not exceed",
            ),
            (
                "return rng:int(1.5, 2)",
                "number has no integer representation",
            ),
            (
                "return rng:choice({})",
                "rng:choice(list): the list is empty",
            ),
            ("return rng:choice('x')", "table expected"),
            (
                "return rng:weighted({1}, 'w')",
                "items must be tables, found a number",
            ),
            (
                "return rng:weighted({{w='x'}}, 'w')",
                "an item's `w` is a string",
            ),
            (
                "return rng:weighted({{w=0}}, 'w')",
                "no item has a positive `w`",
            ),
            ("return rng.int({}, 1, 2)", "convgen.rng expected"),
            ("return setmetatable(rng, {})", "table expected"),
            ("return math.random(1, 2, 3)", "at most two arguments"),
        ] {
            let e = call(&sb, code).unwrap_err();
            assert!(e.contains(needle), "{code}: {e}");
        }
        let locked = call(&sb, "return getmetatable(rng)").unwrap();
        assert_eq!(locked[0].to_string().unwrap(), "convgen.rng");
    }
}
