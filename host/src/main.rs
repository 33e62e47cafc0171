//! The `overseer` binary: parse the command line, run the subcommand, and
//! print its failure, the one place errors are printed (see [`cli`] for
//! the exit statuses).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

/// mimalloc rather than glibc's malloc: a host allocates and frees a
/// process's bookkeeping (Store, instance, task, mailbox) at every start
/// and exit. Measured with `cargo xtask bench`, one worker, interleaved
/// runs: starts 20.8–22.3 k → 24.7–26.5 k/s, DynamicSupervisor
/// `start_child` 18.6–18.8 k → 21.0–21.3 k/s, restart after a trap
/// 25.6–25.8 → 24.0 µs, after a panic 28.4–29.6 → 25.8–26.7 µs; RSS per
/// process, calls and casts unchanged.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let cli::Command::Run(args) = &cli.command
        && let Some(workers) = args.workers
    {
        builder.worker_threads(usize::from(workers));
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&anyhow::anyhow!("cannot start the async runtime: {err}")),
    };
    let result = runtime.block_on(cli.command.execute());
    // Everything that needs cleaning up (the socket file, the tree) has
    // been by now; don't wait on tasks that outlived it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// Print `err` as one line and return its exit status. Only the outermost
/// message is printed, not the `source()` chain: our errors already
/// include their cause in their message, and printing the chain would
/// repeat it.
fn fail(err: &anyhow::Error) -> ExitCode {
    let message = err.to_string();
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("overseer: {message}");
    ExitCode::from(cli::exit_code(err))
}

/// `--help` and `--version` print as clap renders them and succeed; any
/// other parse error is a usage error, printed as one line.
fn clap_exit(err: &clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("overseer: {}", cli::clap_error_line(err));
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}
