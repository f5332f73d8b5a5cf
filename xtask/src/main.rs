//! `cargo xtask`: reproduces the experiments of the course's Day-2 notes.

use clap::{Parser, Subcommand};

/// Reproduces the experiments of the course's Day-2 deep-learning notes.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the experiments.
    List,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::List => println!("no experiments yet"),
    }
}
