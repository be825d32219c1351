//! The server's bounded spin before it sleeps (src/session/spin.rs): it
//! must stay a spin of microseconds. While gdb sits idle at a breakpoint and
//! while the program sleeps, the server sleeps too, with or without
//! `--no-spin`.

mod common;

use common::*;

/// `tracer_cpu_us=N elapsed_us=M` from the naps program's result file.
fn tracer_cpu_and_elapsed(result: &str) -> (u64, u64) {
    let field = |key: &str| {
        result
            .split_whitespace()
            .find_map(|f| f.strip_prefix(key))
            .and_then(parse_u64)
            .unwrap_or_else(|| panic!("no {key} in {result:?}"))
    };
    (field("tracer_cpu_us="), field("elapsed_us="))
}

/// gdb stops the program at waited_for_gdb() and stays idle for 300 ms (a
/// user reading the screen), then lets it sleep 300 ms to its end. The
/// program measures the server's CPU time over both waits.
fn server_cpu_while_waiting(flags: &[&str]) -> (u64, u64) {
    let mut all_flags = vec!["--once"];
    all_flags.extend_from_slice(flags);
    let run = ResultRun::launch_with(&all_flags, "spin", "naps", &[]);
    let gdb = run.server.gdb(&[
        "break waited_for_gdb",
        "continue",
        // The idle user: gdb waits, not the test.
        "shell sleep 0.3",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, ");
    gdb.assert_contains("exited normally");
    tracer_cpu_and_elapsed(&read_result(&run.result))
}

#[test]
fn the_server_sleeps_while_gdb_is_idle_and_while_the_program_sleeps() {
    for flags in [&[][..], &["--no-spin"][..]] {
        let (cpu_us, elapsed_us) = server_cpu_while_waiting(flags);
        // The waits really happened: 300 ms idle gdb + 20 naps of 15 ms.
        assert!(elapsed_us >= 600_000, "{flags:?}: waited {elapsed_us} us");
        // A stop, a few packets and two bounded spins are a few
        // milliseconds; a server that spun through the waits would use
        // most of the 600 ms.
        assert!(
            cpu_us < elapsed_us / 10,
            "{flags:?}: server used {cpu_us} us of CPU in {elapsed_us} us of waiting"
        );
    }
}
