//! Standard output that a closed pipe ends quietly: `sift contract check FILE | head` stops
//! when `head` has read enough, as Unix tools do, instead of panicking as `println!` would.

use std::io::Write;

/// Writes `text` to standard output. A closed pipe ends the process with status 0 (whoever
/// reads has what it wanted); any other failure ends it with status 1 and says why.
pub(crate) fn write(text: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// Writes `bytes` to standard output, as [`write()`].
pub(crate) fn write_bytes(bytes: &[u8]) {
    write(format_args!("{}", String::from_utf8_lossy(bytes)));
}

/// `println!` through [`write()`].
macro_rules! outln {
    () => { $crate::output::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`write()`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};
