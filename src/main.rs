use std::process::ExitCode;

fn main() -> ExitCode {
    ivraie::cli::main()
}
