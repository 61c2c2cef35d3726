use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match fetch::cli::parse().and_then(|plan| fetch::run(&plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            if code != 0 {
                // Nothing more can be done if stderr itself is gone.
                let _ = writeln!(std::io::stderr(), "fetch: {error}");
            }
            ExitCode::from(code)
        }
    }
}
