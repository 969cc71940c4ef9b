//! `mqbench`: RocketMQ load tool built on the SDK. See `mqbench --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use client::bench::producer::{self, ProducerArgs};

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
                match producer::run(args).await {
                    Ok(summary) => {
                        if json {
                            match serde_json::to_string(&summary) {
                                Ok(line) => println!("{line}"),
                                Err(e) => eprintln!("mqbench: {e}"),
                            }
                        } else {
                            summary.print_human();
                        }
                        if summary.sent == 0 {
                            ExitCode::FAILURE
                        } else {
                            ExitCode::SUCCESS
                        }
                    }
                    Err(e) => {
                        eprintln!("mqbench producer: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    })
}
