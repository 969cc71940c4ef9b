//! `mqnamesrv`: parses flags and the config file, then runs the NameServer.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use nameserver::clock::TokioClock;
use nameserver::{NameServer, NamesrvConfig};
use tokio::net::TcpListener;

/// RocketMQ-compatible NameServer.
#[derive(Parser, Debug)]
#[command(name = "mqnamesrv", version, about)]
struct Args {
    /// Java-properties config file with RocketMQ's keys (listenPort,
    /// kvConfigPath, scanNotActiveBrokerInterval, ...).
    #[arg(short = 'c', long = "configFile", visible_alias = "config-file")]
    config_file: Option<PathBuf>,
    /// Print the effective config and exit.
    #[arg(
        short = 'p',
        long = "printConfigItem",
        visible_alias = "print-config-item"
    )]
    print_config_item: bool,
    /// TCP port to listen on (overrides `listenPort`; 0 picks a free port).
    #[arg(short = 'n', long = "listen-port", visible_alias = "listenPort")]
    listen_port: Option<u16>,
    /// Address to bind (overrides `bindAddress`).
    #[arg(long = "bind-address", visible_alias = "bindAddress")]
    bind_address: Option<String>,
    /// KV config file (overrides `kvConfigPath`).
    #[arg(long = "kv-config-path", visible_alias = "kvConfigPath")]
    kv_config_path: Option<PathBuf>,
    /// Any config key, as `key=value` (repeatable; applied last).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match effective_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mqnamesrv: {e}");
            return ExitCode::from(2);
        }
    };
    if args.print_config_item {
        print!("{}", config.to_properties_text());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mqnamesrv: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "name server failed");
            eprintln!("mqnamesrv: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Defaults, then the file, then the flags.
fn effective_config(args: &Args) -> Result<NamesrvConfig, String> {
    let mut config = NamesrvConfig::default();
    if let Some(path) = &args.config_file {
        config.load_file(path).map_err(|e| e.to_string())?;
    }
    if let Some(p) = args.listen_port {
        config.listen_port = p;
    }
    if let Some(a) = &args.bind_address {
        config.bind_address = a.clone();
    }
    if let Some(p) = &args.kv_config_path {
        config.kv_config_path = p.clone();
    }
    let mut pairs = Vec::new();
    for kv in &args.set {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--set expects KEY=VALUE, got '{kv}'"))?;
        pairs.push((k.trim(), v));
    }
    config.apply_all(pairs).map_err(|e| e.to_string())?;
    Ok(config)
}

async fn serve(config: NamesrvConfig) -> std::io::Result<()> {
    let server = Arc::new(NameServer::new(
        config.clone(),
        Arc::new(TokioClock::new()),
    )?);
    let listener = TcpListener::bind((config.bind_address.as_str(), config.listen_port)).await?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown_signal();
    for (k, v) in config.to_properties() {
        tracing::info!("config {k}={v}");
    }
    // Scripts and the test harness wait for this line (RocketMQ 5.1+ form).
    let banner = format!("The Name Server boot success. serializeType=JSON, address {addr}");
    tracing::info!("{banner}");
    println!("{banner}");
    nameserver::serve(server, listener, shutdown).await
}

/// Installs the Ctrl-C and SIGTERM handlers now (so a signal arriving
/// right after the boot line is not fatal) and completes on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (term, int) = signals;
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {}
                _ = wait(int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown signal received");
    }
}
