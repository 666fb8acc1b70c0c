//! `aspk`: the one binary. Each subcommand lives in `cmd/`.

mod cmd;

/// mimalloc returns freed memory to the OS more readily than glibc's per-thread arenas,
/// which keeps the resident size of a long-running server close to what it holds.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// АСПК — museum ticket sales and admission control that keeps working through outages.
#[derive(Parser)]
#[command(name = "aspk", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: API, staff web app, shop and scanner app.
    Serve(cmd::serve::ServeArgs),
    /// Measure replication: catch-up of a backlog, steady-state lag, cold start of a big log
    /// (built with `--features bench-replication`).
    #[cfg(feature = "bench-replication")]
    BenchReplication(cmd::bench_replication::BenchReplicationArgs),
    /// Run the turnstile agent: read codes, decide locally, open the turnstile.
    Gate(cmd::gate::GateArgs),
    /// Manage staff accounts (run while the server is stopped).
    #[command(subcommand)]
    User(cmd::user::UserCommand),
    /// Rotate or withdraw the organisation's keys (at the cloud, while it is stopped).
    #[command(subcommand)]
    Keys(cmd::keys::KeysCommand),
    /// Load a server (one it starts, or --url) and report against the speed targets.
    Bench(cmd::bench::BenchArgs),
    /// The continuity console: every part, ops waiting to sync, open findings and what to
    /// do now. Exit code 0: all is well; 1: a failure is detected; 2: the node cannot be
    /// reached or asked.
    Status(cmd::status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ASPK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,aspk=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::User(command) => cmd::user::run(command).await,
            Command::Keys(command) => cmd::keys::run(command).await,
            Command::Gate(args) => cmd::gate::run(args).await,
            #[cfg(feature = "bench-replication")]
            Command::BenchReplication(args) => cmd::bench_replication::run(args).await,
            Command::Bench(args) => cmd::bench::run(args).await,
            Command::Status(args) => cmd::status::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<cmd::status::Exit>() {
            // What to say was said: only the exit code is left.
            Some(exit) => ExitCode::from(exit.0),
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
