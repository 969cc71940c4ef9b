//! `mqbench`: RocketMQ load tool built on the SDK. See `mqbench --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use client::bench::consumer::{self, ConsumerArgs};
use client::bench::e2e::{self, E2eArgs};
use client::bench::producer::{self, ProducerArgs};
use serde::Serialize;

/// mimalloc: fewer cycles per allocation than glibc's malloc on the
/// per-send paths.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mqbench",
    version,
    about = "RocketMQ benchmark: producer, consumer and end-to-end load"
)]
struct Cli {
    /// Runtime worker threads; 1 runs everything on one thread (cheapest:
    /// no cross-thread wake-ups), more spread the load over cores.
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Send numbered, checksummed messages and report throughput and latency.
    Producer(ProducerArgs),
    /// Consume and verify benchmark messages: missing, duplicated, corrupt.
    Consumer(ConsumerArgs),
    /// Produce and consume at once; end-to-end latency.
    E2e(E2eArgs),
}

/// Prints a summary (JSON line or text) and picks the exit code.
fn finish<S: Serialize>(
    name: &str,
    json: bool,
    result: Result<S, client::ClientError>,
    human: impl FnOnce(&S),
    ok: impl FnOnce(&S) -> bool,
) -> ExitCode {
    match result {
        Ok(summary) => {
            if json {
                match serde_json::to_string(&summary) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("mqbench: {e}"),
                }
            } else {
                human(&summary);
            }
            if ok(&summary) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("mqbench {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut builder = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(cli.threads);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mqbench: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        match cli.mode {
            Mode::Producer(args) => {
                let json = args.json;
                let r = producer::run(args).await;
                finish("producer", json, r, |s| s.print_human(), |s| s.sent > 0)
            }
            Mode::Consumer(args) => {
                let json = args.json;
                let r = consumer::run(args).await;
                finish("consumer", json, r, |s| s.print_human(), |s| s.ok)
            }
            Mode::E2e(args) => {
                let json = args.json;
                let r = e2e::run(args).await;
                finish("e2e", json, r, |s| s.print_human(), |s| s.ok)
            }
        }
    })
}
