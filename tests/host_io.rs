//! Files through the server (vFile): gdb's `remote put`, `remote get` and
//! `remote delete` write, read back and remove files on the server's side.

mod common;

use common::*;

#[test]
fn remote_put_get_and_delete_work_on_the_servers_files() {
    let dir = TempDir::new("hostio");
    let local = dir.file("local.txt");
    let content = "first line\nsecond line with more text\n".repeat(2000);
    std::fs::write(&local, &content).expect("write local file");
    let remote = dir.file("remote.txt");
    let fetched = dir.file("fetched.txt");
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        &format!("remote put {} {}", local.display(), remote.display()),
        &format!("remote get {} {}", remote.display(), fetched.display()),
        &format!("remote delete {}", remote.display()),
        &format!("remote delete {}", remote.display()),
    ]);
    assert_eq!(std::fs::read_to_string(&fetched).expect("fetched"), content);
    assert!(
        !remote.exists(),
        "remote delete left the file:\n{}",
        gdb.text
    );
    // The second delete finds nothing, and says so.
    gdb.assert_contains("No such file or directory");
    gdb.assert_lacks("Permission denied");
}

/// gdb reads the program it attached to through the server, and the program
/// lives in another mount namespace (as in a container): the file exists
/// only there. `vFile:setfs:PID` makes the server open it in the program's
/// namespace, so gdb gets the program's symbols.
#[test]
fn files_are_read_in_the_programs_mount_namespace() {
    let dir = TempDir::new("mntns");
    let mnt = dir.file("mnt");
    std::fs::create_dir(&mnt).expect("mkdir");
    let spin = program("spin");
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount -t tmpfs rgdb-test "$1" && cp "$2" "$1/spin" && exec "$1/spin""#)
        .arg("sh")
        .arg(&mnt)
        .arg(&spin);
    let (proc, out) = spawn_captured(cmd).expect("spawn unshare");
    assert!(
        out.wait_contains("spinning", EVENT_TIMEOUT),
        "the program did not start in its namespace (unshare needs root):\n{}",
        out.text()
    );
    let pid = proc.pid();
    let inside = mnt.join("spin");
    assert!(!inside.exists(), "the mount leaked into our namespace");
    let server = AttachServer::start(pid);
    let gdb = run_gdb_at(
        server.port,
        None,
        &[
            "info proc exe",
            "print sizeof(spins)",
            "set var stop = 1",
            "continue",
        ],
        GDB_TIMEOUT,
    );
    gdb.assert_contains(&format!("exe = '{}'", inside.display()));
    // The program's own symbols, read from inside its namespace.
    assert_eq!(gdb.value(1), "8", "{}", gdb.text);
    gdb.assert_contains("exited with code 07]");
    gdb.assert_lacks("No symbol table is loaded");
    assert_eq!(
        proc.wait_timeout(EVENT_TIMEOUT).and_then(|s| s.code()),
        Some(7)
    );
}
