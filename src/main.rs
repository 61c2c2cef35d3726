use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match fetch::cli::parse().and_then(|plan| fetch::run(&plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One write: stderr is unbuffered, and a line written piece by piece
            // can interleave with other output. If stderr is gone, nothing can be done.
            let line = format!("fetch: {error}\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            ExitCode::from(error.exit_code())
        }
    }
}
