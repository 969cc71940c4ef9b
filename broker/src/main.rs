//! `mqbroker`: the RocketMQ-compatible broker.
//!
//! ```text
//! mqbroker [-c conf/broker.conf] [-n namesrvAddr] [-p]
//! ```
//! `-p` prints the effective config and exits. SIGTERM or Ctrl-C stop the
//! broker cleanly (unregister, flush, remove the abort file).

use std::path::PathBuf;
use std::process::ExitCode;

use broker::{Broker, BrokerConfig};
use clap::Parser;

/// Command line, as Java's `mqbroker` takes it.
#[derive(Debug, Parser)]
#[command(name = "mqbroker", version, about = "RocketMQ-compatible broker")]
struct Args {
    /// Broker config file (Java properties: `key=value`).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Name server addresses, `;`-separated (overrides the file and NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrvAddr")]
    namesrv_addr: Option<String>,
    /// Print the effective config and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    print_config: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mqbroker: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.print_config {
        print!("{}", config.to_properties());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rmq-broker")
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mqbroker: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "broker failed");
            eprintln!("mqbroker: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(args: &Args) -> Result<BrokerConfig, broker::BrokerError> {
    let mut config = match &args.config_file {
        Some(path) => BrokerConfig::load(path)?,
        None => BrokerConfig::default(),
    };
    if let Some(n) = &args.namesrv_addr {
        config.set("namesrvAddr", n)?;
    }
    config.validate()?;
    Ok(config)
}

async fn serve(mut config: BrokerConfig) -> Result<(), broker::BrokerError> {
    let (listener, vip) = broker::bind(&mut config).await?;
    tracing::info!("effective config:\n{}", config.to_properties());
    let broker = Broker::start(config, listener, vip).await?;
    let line = broker.boot_message();
    println!("{line}");
    tracing::info!("{line}");
    shutdown_signal().await;
    broker.shutdown().await
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}
