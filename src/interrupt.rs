//! Ctrl-C, on `signal-hook`: one watcher thread, whose answer depends on
//! what the process is doing.
//!
//! - While a run works ([`stop_on_ctrl_c`]): the first Ctrl-C sets the stop
//!   flag (workers take no new conversation, in-flight work is written and
//!   the run is marked interrupted); the second leaves at once. Files are
//!   still whole then: each is renamed into place.
//! - Otherwise, once the watcher is installed ([`leave_on_ctrl_c`]): leave at
//!   once, with the terminal's cursor shown again (the menu hides it).
//!
//! Before either is called, Ctrl-C keeps the operating system's default.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use signal_hook::consts::SIGINT;
use signal_hook::iterator::Signals;

/// Exit code after an interruption (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Set by the first Ctrl-C of a run.
static STOP: AtomicBool = AtomicBool::new(false);

const LEAVE: u8 = 0;
const LEAVE_MENU: u8 = 1;
const STOP_RUN: u8 = 2;
static MODE: AtomicU8 = AtomicU8::new(LEAVE);
static WATCHER: Once = Once::new();

/// Starts the watcher thread, once. If signals cannot be watched (they
/// always can on the platforms convgen runs on), Ctrl-C keeps its default.
fn watch() {
    WATCHER.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT]) else {
            return;
        };
        std::thread::spawn(move || {
            for _ in signals.forever() {
                match MODE.load(Ordering::SeqCst) {
                    STOP_RUN if !STOP.swap(true, Ordering::SeqCst) => {}
                    LEAVE_MENU => leave_menu(),
                    _ => std::process::exit(EXIT_INTERRUPTED),
                }
            }
        });
    });
}

/// Leaves the menu after a Ctrl-C: cursor shown, one line saying nothing was
/// generated, exit 130. Called by the watcher thread, and by the menu when the
/// same Ctrl-C interrupts the read it was waiting in (console raises SIGINT
/// and returns the read as interrupted); the line is said once.
pub fn leave_menu() -> ! {
    // The first caller says it and exits holding the lock; a second one
    // waits here rather than ending the process before the line is out.
    static LEAVING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = LEAVING.lock();
    let _ = dialoguer::console::Term::stderr().show_cursor();
    eprintln!("\ninterrupted: nothing generated or ingested");
    std::process::exit(EXIT_INTERRUPTED)
}

/// While the operator menu asks: Ctrl-C leaves at once, cursor shown,
/// saying nothing was generated.
pub fn leave_menu_on_ctrl_c() {
    watch();
    MODE.store(LEAVE_MENU, Ordering::SeqCst);
}

/// Ctrl-C leaves at once (after the menu, before a run starts).
pub fn leave_on_ctrl_c() {
    watch();
    MODE.store(LEAVE, Ordering::SeqCst);
}

/// While a run works: the first Ctrl-C sets the returned flag, the second leaves.
pub fn stop_on_ctrl_c() -> &'static AtomicBool {
    watch();
    MODE.store(STOP_RUN, Ordering::SeqCst);
    &STOP
}

/// The flag the first Ctrl-C of a run sets.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}
