//! The shared-library list (`qXfer:libraries-svr4`): gdb gets every loaded
//! library in one packet, with the addresses it needs for symbols,
//! breakpoints and thread-local storage.

mod common;

use common::*;

#[test]
fn gdb_gets_the_library_list_in_one_packet_and_uses_it() {
    let server = Server::launch_with(
        &["--once", "--remote-debug"],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    let gdb = server.gdb(&[
        "break add",
        "continue",
        "info sharedlibrary",
        "break write",
        "continue",
        "bt 1",
    ]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    // libc, from the list, with its symbols: a breakpoint in it hits.
    assert!(
        gdb.text
            .lines()
            .any(|l| l.contains("Yes") && l.contains("/libc.so.6")),
        "{}",
        gdb.text
    );
    gdb.assert_contains("Breakpoint 2, ");
    gdb.assert_contains("write (");
    // The list went out as one reply (GNU gdbserver logs packets in
    // another form).
    if is_gnu_gdbserver() {
        return;
    }
    let log = server.output();
    let reply = log
        .lines()
        .rfind(|l| l.contains("putpkt (\"l<library-list-svr4"))
        .unwrap_or_else(|| panic!("no library list sent:\n{log}"));
    assert!(reply.contains("main-lm=\"0x"), "{reply}");
    assert!(reply.contains("/libc.so.6\" lm=\"0x"), "{reply}");
}

#[test]
fn a_library_in_another_namespace_is_listed_and_its_code_is_known() {
    let run = ResultRun::launch("dlmopen", "namespaces", &[]);
    let gdb = run.server.gdb(&[
        "break stop_here",
        "continue",
        "info sharedlibrary",
        // A breakpoint in the namespaced copy of libm (gdb knows its
        // symbols only if the server listed it).
        "info symbol j0",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, stop_here ()");
    assert!(
        gdb.text
            .lines()
            .any(|l| l.contains("Yes") && l.contains("/libm.so.6")),
        "libm (loaded with dlmopen) is not listed:\n{}",
        gdb.text
    );
    gdb.assert_contains("in section .text of target:/lib/x86_64-linux-gnu/libm.so.6");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), "j0=1\n");
}

/// gdb's script for the incremental request: the whole list, then the list
/// from its second library on (`start=` that map, `prev=` the first).
const INCREMENTAL_SCRIPT: &str = r#"
import re
def ask(annex):
    return gdb.execute("maint packet qXfer:libraries-svr4:read:%s:0,fff" % annex, to_string=True)
full = ask("")
maps = re.findall(r' lm="0x([0-9a-f]+)"', full)
print("FULL " + " ".join(maps))
print("PART " + " ".join(re.findall(r' lm="0x([0-9a-f]+)"', ask("start=%s;prev=%s" % (maps[1], maps[0])))))
print("STALE " + ask("start=%s;prev=%s" % (maps[1], maps[1])).replace("\n", " "))
"#;

#[test]
fn the_list_can_start_where_gdb_asks() {
    let dir = TempDir::new("svr4-start");
    let script = dir.file("incremental.py");
    std::fs::write(&script, INCREMENTAL_SCRIPT).expect("write script");
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        "break add",
        "continue",
        &format!("source {}", script.display()),
    ]);
    let field = |tag: &str| -> Vec<String> {
        let line = gdb
            .text
            .lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or_else(|| panic!("no {tag}:\n{}", gdb.text));
        line.split_whitespace().map(str::to_string).collect()
    };
    let full = field("FULL ");
    assert!(full.len() >= 3, "{}", gdb.text);
    // From the second library on, nothing before it.
    assert_eq!(field("PART "), full[1..].to_vec(), "{}", gdb.text);
    // A `prev` that is not the map before `start`: an error, and gdb
    // reads the whole list again.
    assert!(field("STALE ").join(" ").contains("E01"), "{}", gdb.text);
}

#[test]
fn a_list_request_at_an_impossible_address_is_an_error_and_the_session_goes_on() {
    let server = Server::launch(&program("basic"), &[]);
    let mut client = server.rsp();
    client.request("?").expect("stop reason");
    let reply = client
        .request("qXfer:libraries-svr4:read:start=fffffffffffffff8;prev=0:0,fff")
        .expect("reply");
    assert!(reply.starts_with('E'), "{reply:?}");
    assert!(client.request("g").expect("g").len() > 100);
}
