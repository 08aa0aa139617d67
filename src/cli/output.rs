//! The CLI's own output path: the only code that writes to stdout outside the MCP protocol.
//! A closed pipe (`asgardeo-mcp tools | head -1`) ends the process quietly, never a panic.

use std::io::Write;

/// Writes `text` and a newline to stdout; exits quietly if the reader went away.
#[allow(clippy::print_stdout)]
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let result = writeln!(out, "{text}").and_then(|()| out.flush());
    if let Err(err) = result {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        error(&format!("asgardeo-mcp: could not write to stdout: {err}"));
        std::process::exit(1);
    }
}

/// A message for a person on stderr (not a log line).
#[allow(clippy::print_stderr)]
pub fn error(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
