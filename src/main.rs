//! The `trawl` binary: parse the command line, run it, and map the outcome to an exit status.

use clap::Parser;

// Loading a day allocates and frees millions of small JSON values from several threads at once,
// which glibc's allocator spends a fifth of the time on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same index in the v2 and v3 sources it bundles).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // mimalloc hands freed pages back to the OS after 10 ms and faults them in again for the
    // next object; a load frees and allocates in waves, so keep them (measured on `trawl
    // records`: 1.8 s instead of 2.8 s, system time 0.13 s instead of 0.81 s).
    // SAFETY: a process-wide option, set before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // Transparent huge pages fill mimalloc's arenas 2 MiB at a time, zeroed on the thread that
    // touches them first (the screen's, for its rows): reading an organization's day held a
    // fifth more memory and answered keys more slowly so (`trawl bench --scale 0.5 --child
    // screen`: 2 510 B per record, key p95 34-38 ms, max 72-76 ms; without, 2 024 B, 30 ms,
    // 43 ms). Failing, it changes nothing else.
    #[cfg(target_os = "linux")]
    // SAFETY: a flag of this process's memory; no pointer is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
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
            // Bad usage found after parsing (an unknown workspace) exits as clap's own does.
            let status = if e.downcast_ref::<trawl::cli::UsageError>().is_some() {
                2
            } else {
                1
            };
            // One line, escaped: messages can quote keys and values from the logs.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("trawl: {}", trawl::escape::for_terminal(&msg));
            std::process::ExitCode::from(status)
        }
    }
}
