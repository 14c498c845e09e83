//! The `folio` command: the library's command line ([`folio::cli::Folio`]) with the built-in
//! strategy kinds.

fn main() -> std::process::ExitCode {
    folio::cli::Folio::new().main()
}
