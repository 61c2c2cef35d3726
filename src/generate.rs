//! `--generate`: shell completions and a man page, made from the clap definitions
//! so they cannot drift from the flags.

use std::io::Write;

use clap_complete::Shell;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generated {
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
    Man,
}

/// Prints the completion script or man page on stdout. A reader that leaves
/// early (`| head`) is not an error.
pub fn print(kind: Generated, command: clap::Command) -> Result<(), Error> {
    // Into memory first: clap_complete panics when its writer fails.
    let text = render(kind, command).map_err(Error::write)?;
    // Flushed here: the process exits next, without running destructors.
    let mut out = std::io::stdout().lock();
    match out.write_all(&text).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::write(e)),
        _ => Ok(()),
    }
}

fn render(kind: Generated, mut command: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut text = Vec::new();
    let shell = match kind {
        Generated::CompleteBash => Shell::Bash,
        Generated::CompleteZsh => Shell::Zsh,
        Generated::CompleteFish => Shell::Fish,
        Generated::CompletePowershell => Shell::PowerShell,
        Generated::Man => {
            // clap_mangen prints no text for an option hidden from -h; the man
            // page is the long help, so it describes every option.
            let command = command.mut_args(|arg| arg.hide_short_help(false));
            clap_mangen::Man::new(command).render(&mut text)?;
            // `-C -`, as in --help: roff escapes the dash.
            let text = String::from_utf8_lossy(&text).replace("<\\->", "\\-");
            return Ok(text.into_bytes());
        }
    };
    clap_complete::generate(shell, &mut command, "fetch", &mut text);
    Ok(text)
}
