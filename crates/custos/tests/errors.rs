//! Error messages never repeat their cause. The convention of every custos error type: a
//! variant that exposes a cause as its `source()` does not also print it in its `Display`, so
//! the chain printed by the binary (`error: {:#}`, each cause once, joined by `: `) reads
//! `cannot read custos.toml: No such file or directory`, not `...: No such file: No such file`.

use std::error::Error;
use std::io;
use std::path::PathBuf;

fn io_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "No such file or directory (os error 2)",
    )
}

/// One error of each kind that carries a cause, across the crates.
fn representative_errors() -> Vec<Box<dyn Error + Send + Sync>> {
    vec![
        Box::new(custos_config::ConfigError::Read {
            path: PathBuf::from("custos.toml"),
            source: io_error(),
        }),
        Box::new(custos_store::Error::Open {
            location: "custos.db".into(),
            source: Box::new(io_error()),
        }),
        Box::new(custos_store::Error::Backend {
            backend: "SQLite",
            op: "read the scans",
            source: Box::new(io_error()),
        }),
        Box::new(custos_store::Error::MasterKeyFile {
            path: "custos.key".into(),
            op: "read",
            source: io_error(),
        }),
        Box::new(custos_scan::scan::ScanError::Store {
            org_id: "org-a".into(),
            source: custos_store::Error::Backend {
                backend: "SQLite",
                op: "write the snapshot",
                source: Box::new(io_error()),
            },
        }),
        Box::new(custos_sim::scenario::ScenarioError::Io {
            file: "scenario.json".into(),
            source: io_error(),
        }),
        Box::new(custos_report::ReportError::Io {
            path: PathBuf::from("out/index.html"),
            source: io_error(),
        }),
        Box::new(custos_evidence::KeyError::Io {
            path: PathBuf::from("custos-evidence.key"),
            source: io_error(),
        }),
        Box::new(custos_evidence::ExportError::Io {
            what: "write the pack".into(),
            source: io_error(),
        }),
        Box::new(custos_evidence::ExportError::Store {
            what: "list the scans of org-a".into(),
            source: Box::new(custos_store::Error::Open {
                location: "custos.db".into(),
                source: Box::new(io_error()),
            }),
        }),
        Box::new(custos_actions::ActionError::ReadFailed {
            action: 7,
            what: "the project key".into(),
            source: custos_openai::Error::Config("the API is unreachable".into()),
        }),
    ]
}

/// The error and its causes joined by `: `, as anyhow's `{:#}` prints them in the binary.
fn chain(error: &(dyn Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut layer = error.source();
    while let Some(cause) = layer {
        parts.push(cause.to_string());
        layer = cause.source();
    }
    parts.join(": ")
}

#[test]
fn no_error_prints_its_cause_twice() {
    for error in representative_errors() {
        let printed = chain(error.as_ref());
        let segments: Vec<&str> = printed.split(": ").collect();
        for (i, segment) in segments.iter().enumerate() {
            assert!(
                !segments[i + 1..].contains(segment),
                "{printed:?} repeats {segment:?}"
            );
        }
        // And the cause is printed once: nothing was lost by leaving it out of the Display.
        assert!(
            printed.contains("No such file or directory") || printed.contains("unreachable"),
            "{printed}"
        );
    }
}

#[test]
fn every_layer_of_a_chain_leaves_its_cause_to_the_next() {
    for error in representative_errors() {
        let mut layer: Option<&(dyn Error + 'static)> = Some(error.as_ref());
        while let Some(current) = layer {
            if let Some(source) = current.source() {
                assert!(
                    !current.to_string().contains(&source.to_string()),
                    "{current} prints its source {source}"
                );
            }
            layer = current.source();
        }
    }
}
