//! Output for the node-planning subcommands: text is collected, then written at once, and a
//! closed pipe (`dynoshift plan ... | head`) ends the output quietly instead of panicking.

use std::io::Write;

/// Appends a formatted line to a `String` buffer.
macro_rules! outln {
    ($o:expr) => {
        $o.push('\n')
    };
    ($o:expr, $($arg:tt)*) => {{
        $o.push_str(&format!($($arg)*));
        $o.push('\n');
    }};
}
pub(crate) use outln;

/// Writes the collected output to stdout, ignoring a closed pipe.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
