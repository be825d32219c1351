//! Requests that ask for too much: each gets an error or a bounded reply,
//! the server's memory stays bounded (its VmRSS, from /proc), and the
//! session goes on (`?` and a memory read still answer right).

mod common;

use common::rsp::{RspClient, REPLY_TIMEOUT};
use common::*;

/// The server's resident memory in kB.
fn rss_kb(server: &Server) -> u64 {
    status_field(server.pid(), "VmRSS")
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS for the server"))
}

/// The session still works: the first stop's reason, and `len` bytes read
/// at `addr` equal to `expected`.
#[track_caller]
fn assert_session_holds(client: &mut RspClient, stop: &str, addr: u64, expected: &str) {
    assert_eq!(client.request("?").expect("? reply"), stop);
    let len = expected.len() / 2;
    let read = client
        .request(&format!("m{addr:x},{len:x}"))
        .expect("m reply");
    assert_eq!(rsp::expand_rle_str(&read), expected);
}

/// The start of the program's 16 MiB `big` buffer (its bss, the one
/// mapping that large), from /proc/PID/maps.
fn big_buffer(pid: i32) -> u64 {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    maps.lines()
        .find_map(|l| {
            let range = l.split_whitespace().next()?;
            let (start, end) = range.split_once('-')?;
            let (start, end) = (
                u64::from_str_radix(start, 16).ok()?,
                u64::from_str_radix(end, 16).ok()?,
            );
            (end - start >= 16 << 20 && l.contains(" rw")).then_some(start)
        })
        .unwrap_or_else(|| panic!("no 16 MiB mapping:\n{maps}"))
}

#[test]
fn huge_reads_and_writes_get_bounded_replies() {
    let server = Server::launch(&program("basic"), &[]);
    let mut client = server.rsp();
    client.start_no_ack_mode().expect("no-ack");
    let stop = client.request("?").expect("?");
    let pc = stop_pc(&stop);
    let code = client.request(&format!("m{pc:x},10")).expect("m");
    let code = rsp::expand_rle_str(&code);
    let before = rss_kb(&server);

    // 4 GiB from unmapped memory, and from mapped code.
    assert!(client.request("m0,ffffffff").expect("m").starts_with('E'));
    let reply = client.request(&format!("m{pc:x},ffffffff")).expect("m");
    assert!(reply.len() < 1 << 20, "a {} byte reply", reply.len());
    // A file read of 4 GiB: one bounded chunk.
    let fd = client
        .request("vFile:open:2f6574632f706173737764,0,0")
        .expect("open");
    let fd = fd.strip_prefix('F').expect("an fd");
    let reply = client
        .request(&format!("vFile:pread:{fd},ffffffff,0"))
        .expect("pread");
    assert!(
        reply.starts_with('F') && reply.len() < 1 << 20,
        "{}",
        reply.len()
    );
    // A document asked for with a huge length: the document, once.
    let reply = client
        .request("qXfer:features:read:target.xml:0,ffffffffffff")
        .expect("qXfer");
    assert!(
        (reply.starts_with('l') || reply.starts_with('m')) && reply.len() < 1 << 20,
        "{}",
        reply.len()
    );
    // Writes longer than the packet size, and than they say they are.
    let long = "00".repeat(1 << 20);
    let reply = client
        .request(&format!("M{pc:x},100000:{long}"))
        .expect("M");
    assert!(reply.starts_with('E') || reply == "OK", "{reply}");
    let reply = client.request(&format!("M{pc:x},1:{long}")).expect("M");
    assert!(reply.starts_with('E'), "{reply}");
    // A watchpoint over 4 GiB (the live fuzzer's find: it hung the server
    // splitting the range for the debug registers).
    let reply = client.request("Z2,77,ffffffff").expect("Z2");
    assert!(reply.starts_with('E') || reply.is_empty(), "{reply}");
    // Thousands of syscall numbers to catch.
    let numbers: Vec<String> = (0..5000).map(|n| format!("{n:x}")).collect();
    let reply = client
        .request(&format!("QCatchSyscalls:1;{}", numbers.join(";")))
        .expect("QCatchSyscalls");
    assert!(reply == "OK" || reply.starts_with('E'), "{reply}");

    assert_session_holds(&mut client, &stop, pc, &code);
    let after = rss_kb(&server);
    assert!(after < before + 16 * 1024, "RSS {before} kB -> {after} kB");
}

#[test]
fn a_packet_that_never_ends_costs_no_memory_and_the_next_one_is_answered() {
    let server = Server::launch(&program("basic"), &[]);
    let mut client = server.rsp();
    client.start_no_ack_mode().expect("no-ack");
    let stop = client.request("?").expect("?");
    let pc = stop_pc(&stop);
    let code = rsp::expand_rle_str(&client.request(&format!("m{pc:x},10")).expect("m"));
    let before = rss_kb(&server);
    // 64 MiB of a packet that has not ended.
    client.send_raw(b"$").expect("send");
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..64 {
        client.send_raw(&chunk).expect("send");
    }
    client.send_raw(b"#00").expect("send");
    // The over-long packet is refused, and the session goes on.
    let reply = client.read_packet(REPLY_TIMEOUT).expect("reply");
    assert!(reply.starts_with('E'), "{reply}");
    assert_session_holds(&mut client, &stop, pc, &code);
    let after = rss_kb(&server);
    assert!(after < before + 16 * 1024, "RSS {before} kB -> {after} kB");
}

#[test]
fn millions_of_breakpoints_are_refused_past_a_bound() {
    let server = Server::launch(&program("bigbuf"), &[]);
    let mut client = server.rsp();
    client.start_no_ack_mode().expect("no-ack");
    let stop = client.request("?").expect("?");
    let big = big_buffer(server.inferior_pid);
    let first = client.request(&format!("m{big:x},8")).expect("m");
    let before = rss_kb(&server);
    // Pipelined: a window of requests in flight, the replies counted.
    const TOTAL: u64 = 400_000;
    const WINDOW: u64 = 256;
    let (mut ok, mut refused) = (0u64, 0u64);
    let mut collect = |client: &mut RspClient| match client
        .read_packet(REPLY_TIMEOUT)
        .expect("Z0 reply")
        .as_str()
    {
        "OK" => ok += 1,
        e if e.starts_with('E') => refused += 1,
        other => panic!("Z0: {other:?}"),
    };
    for i in 0..TOTAL {
        // Every other byte of the buffer: all different addresses.
        client
            .send_raw(&rsp::frame(format!("Z0,{:x},1", big + 2 * i).as_bytes()))
            .expect("send");
        if i >= WINDOW {
            collect(&mut client);
        }
    }
    for _ in 0..WINDOW.min(TOTAL) {
        collect(&mut client);
    }
    assert_eq!(ok + refused, TOTAL);
    assert!(refused > 0, "no bound: {ok} breakpoints inserted");
    assert!(ok >= 100_000, "only {ok} breakpoints");
    // Reads hide every one of them, and the session goes on.
    assert_session_holds(&mut client, &stop, big, &rsp::expand_rle_str(&first));
    let after = rss_kb(&server);
    assert!(after < before + 64 * 1024, "RSS {before} kB -> {after} kB");
}

/// The PC (register 0x10) in a `T` stop reply.
fn stop_pc(stop: &str) -> u64 {
    let field = stop
        .split(';')
        .find_map(|f| f.strip_prefix("10:"))
        .unwrap_or_else(|| panic!("no pc in {stop}"));
    let bytes = rsp::decode_hex(field).expect("hex pc");
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}
