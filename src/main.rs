fn main() {
    std::process::exit(convgen::cli::main());
}
