//! Ctrl-C: the first stops taking new work, the second leaves at once.

use super::*;

/// Set by the first Ctrl-C: workers take no new conversation.
pub(super) static STOP: AtomicBool = AtomicBool::new(false);

pub(super) static INTERRUPTS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

pub(super) extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe work here: atomics and _exit.
    if INTERRUPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 1 {
        // Second Ctrl-C: leave now. Files are still whole: each is renamed into place.
        unsafe { libc::_exit(130) };
    }
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes the first Ctrl-C stop taking new work; the second exits at once.
pub(super) fn catch_interrupts() {
    // SAFETY: the handler only touches atomics and calls _exit.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}

/// Exit code after an interruption (128 + SIGINT).
pub(super) const EXIT_INTERRUPTED: i32 = 130;

/// Exit code when the provider stopped the run (waits or retries exhausted):
/// EX_TEMPFAIL, try again later with `convgen resume`.
pub(super) const EXIT_STOPPED: i32 = 75;
