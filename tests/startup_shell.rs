//! Starting the program through the shell, as gdbserver does by default
//! (`$SHELL -c "exec PROG ARGS"`), or directly (`--no-startup-with-shell`,
//! gdb's `set startup-with-shell off`): the arguments reach the program as
//! given either way, gdb's first stop is the program's own first
//! instruction (not the shell's), and a program the shell cannot find is
//! reported with the shell's words and gdbserver's.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// Arguments a shell would change if they were not escaped.
const TRICKY: &[&str] = &["a b", "*", "$HOME", "", "q'x\"y", "`id`", "~", "x;y|z&"];

/// Make the server's shell bash, which leaves a mark in `mark` when it
/// starts (bash -c runs `$BASH_ENV` first): a real shell, one exec.
fn marking_shell(dir: &TempDir, mark: &Path) -> impl Fn(&mut Command) {
    let startup = dir.file("bash-env");
    std::fs::write(&startup, format!("echo used >> '{}'\n", mark.display())).expect("write");
    move |cmd: &mut Command| {
        cmd.env("SHELL", "/bin/bash").env("BASH_ENV", &startup);
    }
}

fn expected_args() -> String {
    TRICKY.iter().map(|a| format!("[{a}]\n")).collect()
}

fn launch_args_program(flags: &[&str], shell: impl Fn(&mut Command), result: &Path) -> Server {
    let mut args = vec![result.to_str().expect("utf-8 path")];
    args.extend_from_slice(TRICKY);
    Server::launch_setup(flags, &program("args"), &args, shell)
}

#[test]
fn through_the_shell_the_arguments_arrive_unchanged_and_gdb_starts_in_the_program() {
    let dir = TempDir::new("shell-on");
    let mark = dir.file("mark");
    let result = dir.file("result");
    let shell = marking_shell(&dir, &mark);
    let server = launch_args_program(&["--once"], shell, &result);
    let gdb = server.gdb(&["info symbol $pc", "info proc exe", "continue"]);
    // The first stop is ld.so's entry in the program, not in the shell.
    gdb.assert_contains("_start in section .text of target:/lib64/ld-linux-x86-64.so.2");
    gdb.assert_contains(&format!("exe = '{}'", program("args").display()));
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&result), expected_args());
    assert_eq!(read_result(&mark), "used\n", "the shell was not used");
}

#[test]
fn without_the_shell_the_program_is_execed_directly() {
    let dir = TempDir::new("shell-off");
    let mark = dir.file("mark");
    let result = dir.file("result");
    let shell = marking_shell(&dir, &mark);
    let server = launch_args_program(&["--once", "--no-startup-with-shell"], shell, &result);
    let gdb = server.gdb(&["continue"]);
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&result), expected_args());
    assert!(!mark.exists(), "the shell ran");
}

#[test]
fn a_program_the_shell_cannot_find_is_reported_as_gdbserver_does() {
    let name = "rgdb-no-such-program-anywhere";
    let run = run_server_to_exit(
        &[
            std::ffi::OsStr::new("--once"),
            "127.0.0.1:0".as_ref(),
            name.as_ref(),
        ],
        EVENT_TIMEOUT,
    );
    assert!(!run.status.expect("exited").success());
    for said in [
        &format!("{name}: not found"),
        "During startup program exited with code 127.",
        "Exiting",
    ] {
        assert!(run.stderr.contains(said), "no {said:?} in:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("Listening on port"), "{}", run.stderr);
}

#[test]
fn a_program_named_without_a_directory_is_found_in_the_working_directory() {
    let dir = TempDir::new("shell-cwd");
    let copy = program_copy("basic", &dir);
    let name = copy.file_name().expect("name").to_str().expect("utf-8");
    let server = Server::launch_setup(&["--once"], Path::new(name), &[], |cmd| {
        cmd.current_dir(dir.path());
    });
    assert!(
        server
            .output()
            .contains(&format!("Process {} created", copy.display())),
        "{}",
        server.output()
    );
    let gdb = server.gdb(&["break main", "continue"]);
    gdb.assert_contains("Breakpoint 1, main (");
}

#[test]
fn gdb_turns_the_shell_off_and_on_for_each_run() {
    let dir = TempDir::new("shell-ext");
    let mark = dir.file("mark");
    let shell = marking_shell(&dir, &mark);
    let (off, on) = (dir.file("off"), dir.file("on"));
    let server = MultiServer::start_with(&[], shell);
    let args = program("args");
    let tricky = "'a b' '*' '$HOME' '' \"q'x\\\"y\" '`id`' '~' 'x;y|z&'";
    let gdb = server.gdb(
        &args,
        &[],
        &[
            &format!("set remote exec-file {}", args.display()),
            "set startup-with-shell off",
            &format!("run {} {tricky}", off.display()),
            "set startup-with-shell on",
            &format!("run {} {tricky}", on.display()),
        ],
    );
    assert_eq!(gdb.count("exited normally]"), 2, "{}", gdb.text);
    assert_eq!(read_result(&off), expected_args());
    assert_eq!(read_result(&on), expected_args());
    // One shell: the second run's.
    assert_eq!(read_result(&mark), "used\n");
}

#[test]
fn a_shell_that_forks_while_starting_does_not_hold_the_launch() {
    let dir = TempDir::new("shell-forks");
    let startup = dir.file("bash-env");
    // A command substitution: bash forks and waits for the child. The
    // child must run untraced, or it would stay stopped and bash with it.
    std::fs::write(&startup, "forked=$(echo yes)\n").expect("write");
    let result = dir.file("result");
    let server = Server::launch_setup(
        &["--once"],
        &program("args"),
        &[result.to_str().expect("utf-8"), "one"],
        |cmd| {
            cmd.env("SHELL", "/bin/bash").env("BASH_ENV", &startup);
        },
    );
    let gdb = server.gdb(&["continue"]);
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&result), "[one]\n");
}
