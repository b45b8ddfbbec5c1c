//! The `tahsilat` binary: process concerns only. Everything else lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    tahsilat::cli::main()
}
