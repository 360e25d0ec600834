//! `custos serve`: the JSON API and the scheduler (custos-server) until SIGTERM or Ctrl-C.

use super::context;
use crate::cli::{ConfigArgs, MasterKeyArgs, StoreArgs};
use anyhow::Context;
use custos_server::{Server, ServerOptions};
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Address to listen on (default: the config's `[server] listen`, else 127.0.0.1:8080);
    /// port 0 picks a free port.
    #[arg(long)]
    pub listen: Option<String>,
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
    /// Serve the API only, without scanning: for a second process beside the one that
    /// schedules scans on the same SQLite file.
    #[arg(long)]
    pub api_only: bool,
}

pub async fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let config = context::load_config(&args.config)?;
    context::warn_policy_errors(&config);
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| config.config().server.listen.clone());
    let options = ServerOptions {
        db: args.store.db.clone(),
        master_key_file: args.master_key.file.clone(),
        schedule: !args.api_only,
    };
    let server = Server::new(config, options).await?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    // The URL is the first stdout line: scripts and tests read it to find the port.
    println!("http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    server
        .serve(listener, async {
            super::scan::stop_signal().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}
