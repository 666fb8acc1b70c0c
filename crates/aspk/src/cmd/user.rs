use std::path::PathBuf;

use aspk_domain::Role;
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a staff account, e.g. the first admin of a new install.
    Add(AddArgs),
}

#[derive(Args)]
pub struct AddArgs {
    /// Sign-in name.
    username: String,
    /// admin, manager, cashier or controller.
    #[arg(long, default_value = "admin")]
    role: String,
    /// The venue the person works at (they may then also sign in at its site node);
    /// leave out for the organisation's own staff.
    #[arg(long)]
    venue: Option<String>,
    /// Read the password from this environment variable instead of asking.
    #[arg(long)]
    password_env: Option<String>,
    #[arg(long, default_value = "./aspk-data", env = "ASPK_DATA")]
    data: PathBuf,
    #[arg(long, env = "ASPK_DATABASE")]
    database: Option<String>,
}

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add(args) => add(args).await,
    }
}

async fn add(args: AddArgs) -> anyhow::Result<()> {
    let role = Role::parse(&args.role).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = match &args.password_env {
        Some(var) => std::env::var(var)
            .map_err(|_| anyhow::anyhow!("environment variable {var} is not set"))?,
        None => {
            let first = rpassword::prompt_password("Password: ")?;
            let again = rpassword::prompt_password("Password again: ")?;
            anyhow::ensure!(first == again, "the passwords differ");
            first
        }
    };
    let opened = super::node::open(&args.data, args.database.as_deref()).await?;
    opened
        .node
        .add_user(
            "system:cli",
            &args.username,
            &password,
            role,
            args.venue.as_deref(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("added {} '{}'", role.as_str(), args.username);
    Ok(())
}
