//! The `folio` command: a thin layer over the library (see `cli`).

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::main(args) {
        eprintln!("folio: {}", one_line(&e));
        std::process::exit(2);
    }
}

/// An error and its causes as one line: each cause said once, control characters escaped.
///
/// A context that only names what its cause names again (`x.toml` then `x.toml: …`) gives way
/// to the cause; a cause its parent already quotes (the OS error in `cannot read: …`) is left
/// out.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        match parts.last_mut() {
            Some(last)
                if text
                    .strip_prefix(last.as_str())
                    .is_some_and(|rest| rest.starts_with([':', ','])) =>
            {
                *last = text
            }
            Some(last) if last.contains(&text) => {}
            _ => parts.push(text),
        }
    }
    folio::report::printable(&parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_says_each_thing_once_on_one_line() {
        let os = std::io::Error::from(std::io::ErrorKind::NotFound);
        let inner = folio::strategy::spec::SpecError::Io {
            path: "x.toml".into(),
            source: os,
        };
        let e = anyhow::Error::new(inner).context("x.toml");
        let line = one_line(&e);
        assert_eq!(line.matches("x.toml").count(), 1, "{line}");
        assert_eq!(line.matches("not found").count(), 1, "{line}");
        let e = anyhow::anyhow!("bad\nticker \u{1b}[31m").context("a.csv");
        assert_eq!(one_line(&e), "a.csv: bad\\nticker \\u{1b}[31m");
    }
}
