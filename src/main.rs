//! The `folio` command: a thin layer over the library (see `cli`).

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::main(args) {
        eprintln!("folio: {e:#}");
        std::process::exit(2);
    }
}
