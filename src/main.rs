use std::panic;

fn main() {
    quiet_on_a_closed_pipe();
    std::process::exit(convgen::cli::main());
}

/// `convgen show RUN | head` ends quietly once `head` has read enough:
/// `println!` panics when stdout is a closed pipe, and that one panic is
/// the reader's choice, not a fault, so it ends the process with exit 0.
/// Every other panic is reported as usual.
fn quiet_on_a_closed_pipe() {
    let report = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}
