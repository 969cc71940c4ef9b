//! `interop`: runs one end-to-end scenario of the third-party `rocketmq-client-rust` crate
//! against a RocketMQ cluster and exits 0 only when the outcome verified.
//!
//! Prints exactly one result line on stdout:
//! `interop: scenario=<name> serialize=<json|rocketmq> result=<PASS|FAIL> sent=.. expected=.. received=.. ms=.. [note=..] [error=..]`.
//! Client logs go to stderr (`RUST_LOG`, default `warn`).

mod args;
mod client;
mod error;
mod inbox;
mod scenario;
mod verify;

use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use args::{Args, USAGE};
use client::Clients;
use error::InteropError;
use scenario::Report;

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("interop: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Still single-threaded here, before any runtime exists. The explicit command factory in
    // `Clients` is what selects the encoding; this covers paths that read the process default.
    std::env::set_var("ROCKETMQ_SERIALIZE_TYPE", args.serialize.env_value());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();

    let started = Instant::now();
    let mut report = Report::default();
    let outcome = run(&args, &mut report);
    let ms = started.elapsed().as_millis();
    let (verdict, code) = match &outcome {
        Ok(()) => ("PASS", 0),
        Err(_) => ("FAIL", 1),
    };
    let mut line = format!(
        "interop: scenario={} serialize={} result={verdict} sent={} expected={} received={} ms={ms}",
        args.scenario.name(),
        args.serialize,
        report.sent,
        report.expected,
        report.received,
    );
    if !report.note.is_empty() {
        line.push_str(&format!(" note=\"{}\"", report.note));
    }
    if let Err(e) = &outcome {
        line.push_str(&format!(" error=\"{}\"", one_line(&e.to_string())));
    }
    println!("{line}");
    // Leave without dropping the runtime: a client task stuck on a silent broker must not turn a
    // reported result into a hang.
    std::process::exit(code)
}

fn run(args: &Args, report: &mut Report) -> Result<(), InteropError> {
    let clients = Clients::new(&args.namesrv, args.serialize, run_id())?;
    let result = clients.block_on(async {
        let result =
            match tokio::time::timeout(args.timeout, scenario::run(&clients, args, report)).await {
                Ok(result) => result,
                Err(_) => Err(InteropError::Verify(format!(
                    "scenario did not finish within {} s",
                    args.timeout.as_secs()
                ))),
            };
        clients.shutdown().await;
        result
    });
    clients.close();
    result
}

/// Milliseconds since the epoch in base 36: unique per run, short enough for topic names.
fn run_id() -> String {
    let mut n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut digits = Vec::new();
    while n > 0 {
        let d = (n % 36) as u32;
        digits.push(char::from_digit(d, 36).unwrap_or('0'));
        n /= 36;
    }
    digits.iter().rev().collect()
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '"'], " ")
}
