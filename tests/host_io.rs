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
