use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = infill::cli::Cli::parse();
    match infill::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("infill: {e:#}");
            ExitCode::from(2)
        }
    }
}
