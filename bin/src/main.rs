//! `cinema`: see `cinema --help`.

fn main() -> std::process::ExitCode {
    cinema_server::cli::main()
}
