//! `-u USER` without a password: it is asked for on the terminal, with echo off,
//! never from standard input (that may carry the request body).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};

/// The password for `user`, typed on the controlling terminal.
pub fn ask(user: &str) -> Result<String, String> {
    let no_terminal = || {
        format!(
            "-u {user} gives no password, and there is no terminal to ask for one on (give -u {user}:PASSWORD)"
        )
    };
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    let saved = tcgetattr(&tty).map_err(|_| no_terminal())?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&tty, OptionalActions::Now, &quiet).map_err(|_| no_terminal())?;
    let typed = read_line(&tty, user);
    // Echo comes back whatever happened; a failure here leaves nothing to do.
    let _ = tcsetattr(&tty, OptionalActions::Now, &saved);
    let _ = (&tty).write_all(b"\n");
    typed.ok_or_else(|| format!("-u {user}: no password was read from the terminal"))
}

fn read_line(tty: &File, user: &str) -> Option<String> {
    (&*tty)
        .write_all(format!("Enter password for user '{user}': ").as_bytes())
        .ok()?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line).ok()?;
    Some(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `Basic …` for an Authorization or Proxy-Authorization header (RFC 7617); a
/// missing password is asked for.
pub fn basic(user: &str, password: Option<&str>) -> Result<String, String> {
    use base64::Engine;
    let password = match password {
        Some(password) => password.to_string(),
        None => ask(user)?,
    };
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    Ok(format!("Basic {token}"))
}
