//! The `trawl` binary: parse the command line, run it, and map the outcome to an exit status.

use clap::Parser;

// Loading a day allocates and frees millions of small JSON values from several threads at once,
// which glibc's allocator spends a fifth of the time on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // clap exits with status 2 on bad usage by itself.
    let cli = trawl::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trawl: cannot start: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(trawl::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A reader that stops early (`| head`) is not a failure of trawl's.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            // One line, escaped: messages can quote keys and values from the logs.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("trawl: {}", trawl::escape::for_terminal(&msg));
            std::process::ExitCode::from(1)
        }
    }
}
