//! Exit codes of a run that did not finish (Ctrl-C itself is [`crate::interrupt`]).

/// Exit code when the provider stopped the run (waits or retries exhausted):
/// EX_TEMPFAIL, try again later with `convgen resume`.
pub(super) const EXIT_STOPPED: i32 = 75;

/// Makes the first Ctrl-C stop taking new work; the second exits at once.
pub(super) fn catch_interrupts() {
    crate::interrupt::stop_on_ctrl_c();
}
