//! `cinema`: see `cinema --help`.

/// mimalloc instead of glibc's allocator: a catalog read allocates and frees many small
/// objects (rows, strings, futures, JSON) on both HTTP workers at once, and glibc's malloc, with
/// its free-list consolidation, was ~15 % of the server's CPU on cold reads. With mimalloc the
/// server spends 10–20 % less CPU per cold request (interleaved A/B in docs/benchmarks.md).
/// Built without transparent huge pages (`no_thp` in the workspace manifest): with them its
/// arenas were backed by 2 MiB pages and the peak RSS grew by ~35 MiB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cinema_server::cli::main()
}
