//! Memory: examining and printing data, writing a global the program then
//! acts on, disassembly, a 16 MiB `dump binary memory`, and reads that hide
//! inserted breakpoints.

mod common;

use common::*;

#[test]
fn examine_and_print_globals() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "echo xw-begin\\n",
        "x/4xw words",
        "echo xw-end\\n",
        "print array",
        "print greeting",
        "x/s greeting",
        "p sizeof(array)",
    ]);
    let xw = gdb.section("xw");
    assert!(
        xw.contains("0xdeadbeef\t0x01020304\t0xcafef00d\t0x00c0ffee"),
        "{xw}"
    );
    assert_eq!(
        gdb.value(1),
        "{17, 34, 51, 68, 85, 102, 119, 136}",
        "{}",
        gdb.text
    );
    assert_eq!(gdb.value(2), "\"hello from basic\"", "{}", gdb.text);
    gdb.assert_contains(":\t\"hello from basic\"");
    assert_eq!(gdb.value(3), "32");
}

#[test]
fn examine_stack_memory_and_registers_agree() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        &format!("break {}", loc("basic", "CALL_ADD")),
        "continue",
        "p/x stack_marker",
        "x/1xw &stack_marker",
        "p *(int *)&stack_marker == 0x5a5a",
    ]);
    assert_eq!(gdb.value(1), "0x5a5a", "{}", gdb.text);
    gdb.assert_contains(":\t0x00005a5a");
    assert_eq!(gdb.value(2), "1");
}

#[test]
fn writing_a_global_changes_what_the_program_does() {
    let run = ResultRun::basic("setvar");
    let server = &run.server;
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "set var exit_code = 42",
        "set var counter = 7",
        "set var array[2] = -5",
        "p array[2]",
        "p exit_code",
        "continue",
    ]);
    assert_eq!(gdb.value(1), "-5", "{}", gdb.text);
    assert_eq!(gdb.value(2), "42", "{}", gdb.text);
    // gdb prints exit codes in octal: 42 = 052.
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited with code 052]",
        server.inferior_pid
    ));
    server.wait_exit(EVENT_TIMEOUT);
    assert!(
        server.output().contains("Child exited with status 42"),
        "{}",
        server.output()
    );
    // counter started at 7: 7 + 10 loop iterations + 100 from bump().
    assert_eq!(read_result(&run.result), "r=5 f=5 s=45 counter=117\n");
}

#[test]
fn disassemble_main() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "echo dis-begin\\n",
        "disassemble main",
        "echo dis-end\\n",
        "x/2i add",
    ]);
    let dis = gdb.section("dis");
    assert!(
        dis.starts_with("Dump of assembler code for function main:"),
        "{dis}"
    );
    assert!(dis.contains("End of assembler dump."), "{dis}");
    assert!(dis.contains("<+0>:\tpush   %rbp"), "{dis}");
    assert!(dis.contains("call   0x") && dis.contains(" <add>"), "{dis}");
    assert!(dis.contains("\tret"), "{dis}");
    // The `=>` marker shows the stop PC inside main.
    assert!(dis.contains("=> 0x"), "{dis}");
    gdb.assert_contains("<add>:\tpush   %rbp");
    gdb.assert_contains("<add+1>:\tmov    %rsp,%rbp");
}

#[test]
fn dump_sixteen_mib_of_memory() {
    const SIZE: usize = 16 << 20;
    let dir = TempDir::new("dump");
    let dump = dir.file("big.bin");
    let server = Server::launch(&program("bigbuf"), &[]);
    let cmd = format!(
        "dump binary memory {} big big+{SIZE}",
        dump.to_str().unwrap()
    );
    let gdb = server.gdb(&["break filled", "continue", &cmd, "p/d big[12345]"]);
    gdb.assert_contains("Breakpoint 1, filled ()");
    let data = std::fs::read(&dump).unwrap_or_else(|e| panic!("no dump: {e}\n{}", gdb.text));
    assert_eq!(data.len(), SIZE);
    let expected: Vec<u8> = (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(131) ^ (i >> 13)) as u8)
        .collect();
    if let Some(i) = (0..SIZE).find(|&i| data[i] != expected[i]) {
        panic!(
            "dump differs at offset {i:#x}: {:#04x} != {:#04x}",
            data[i], expected[i]
        );
    }
    assert_eq!(gdb.value(1), format!("{}", expected[12345]));
}

#[test]
fn memory_reads_never_show_inserted_breakpoints() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        "set breakpoint always-inserted on",
        "break main",
        "continue",
        "echo before-begin\\n",
        "x/8xb add",
        "echo before-end\\n",
        "break *add",
        "break *five",
        "echo after-begin\\n",
        "x/8xb add",
        "echo after-end\\n",
        "continue",
        "echo hit-begin\\n",
        "x/8xb add",
        "x/1xb five",
        "echo hit-end\\n",
        "p $pc == add",
        "continue",
        "p $pc == five",
    ]);
    let before = gdb.section("before");
    let after = gdb.section("after");
    gdb.assert_contains("Breakpoint 2, add (");
    gdb.assert_contains("Breakpoint 3, five (");
    let hit = gdb.section("hit");
    // add() starts with push %rbp (0x55), not int3 (0xcc).
    assert!(before.contains("<add>:\t0x55"), "{before}");
    assert_eq!(
        after.replace("\r", ""),
        before.replace("\r", ""),
        "bytes changed after inserting breakpoints"
    );
    assert!(hit.starts_with(before.as_str()), "{hit}\nvs\n{before}");
    assert!(!hit.contains("0xcc"), "{hit}");
    assert!(hit.contains("<five>:\t0x55"), "{hit}");
    assert_eq!(gdb.value(1), "1");
    assert_eq!(gdb.value(2), "1");
}

/// CRC-32 as gdb computes it for `compare-sections` (libiberty's xcrc32:
/// polynomial 0x04c11db7, MSB first, from 0xffffffff, no final inversion).
fn xcrc32(bytes: &[u8]) -> u32 {
    let mut crc: u32 = 0xffff_ffff;
    for &b in bytes {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[test]
fn crc_of_memory_matches_what_gdb_computes_and_hides_breakpoints() {
    let server = Server::launch(&program("basic"), &[]);
    let mut client = server.rsp();
    let pc = first_stop_pc(&mut client);
    let range = format!("{pc:x},100");
    let bytes = rsp::decode_hex(&client.request(&format!("m{range}")).expect("m")).expect("hex");
    assert_eq!(bytes.len(), 0x100);
    let expected = format!("C{:x}", xcrc32(&bytes));
    assert_eq!(
        client.request(&format!("qCRC:{range}")).expect("qCRC"),
        expected
    );
    // A breakpoint inside the range changes nothing gdb sees...
    let bp = format!("Z0,{:x},1", pc + 0x10);
    assert_eq!(client.request(&bp).expect("Z0"), "OK");
    assert_eq!(
        client.request(&format!("qCRC:{range}")).expect("qCRC"),
        expected
    );
    // ... a real change does.
    let flipped = bytes[0x20] ^ 0xff;
    let write = format!("M{:x},1:{flipped:02x}", pc + 0x20);
    assert_eq!(client.request(&write).expect("M"), "OK");
    assert_ne!(
        client.request(&format!("qCRC:{range}")).expect("qCRC"),
        expected
    );
    // Unmapped memory is an error, and the session goes on.
    assert!(client.request("qCRC:0,10").expect("qCRC").starts_with('E'));
    assert!(client.request("g").expect("g").len() > 100);
}

#[test]
fn find_searches_in_the_server() {
    let server = Server::launch_with(
        &["--once", "--remote-debug"],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    let gdb = server.gdb(&[
        "break add",
        "continue",
        "find /w &words[0], +sizeof(words), 0xcafef00d",
        "find /b &array[0], +sizeof(array), 0x55",
        "find /w &words[0], +sizeof(words), 0x12345678",
    ]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    gdb.assert_contains("<words+8>");
    gdb.assert_contains("<array+16>");
    assert_eq!(gdb.count("1 pattern found."), 2, "{}", gdb.text);
    gdb.assert_contains("Pattern not found.");
    let log = server.output();
    // The server answered the search (gdb asks first, and reads the range
    // itself only when the server does not).
    assert!(
        log.contains("putpkt (\"1,"),
        "gdb read the range itself:\n{log}"
    );
}

#[test]
fn a_search_across_a_breakpoint_finds_the_programs_bytes() {
    let server = Server::launch(&program("basic"), &[]);
    let mut client = server.rsp();
    let pc = first_stop_pc(&mut client);
    let bytes = rsp::decode_hex(&client.request(&format!("m{pc:x},40")).expect("m")).expect("hex");
    // Four bytes at pc+0x21, a breakpoint on the first of them.
    assert_eq!(
        client
            .request(&format!("Z0,{:x},1", pc + 0x21))
            .expect("Z0"),
        "OK"
    );
    let wanted = &bytes[0x21..0x25];
    let first = bytes.windows(4).position(|w| w == wanted).expect("present");
    let mut packet = format!("qSearch:memory:{pc:x};40;").into_bytes();
    for &b in wanted {
        // The protocol's binary escape.
        if matches!(b, b'#' | b'$' | b'}' | b'*') {
            packet.extend_from_slice(&[b'}', b ^ 0x20]);
        } else {
            packet.push(b);
        }
    }
    client.send_raw(&rsp::frame(&packet)).expect("send");
    let reply = client
        .read_packet(rsp::REPLY_TIMEOUT)
        .expect("qSearch reply");
    assert_eq!(reply, format!("1,{:x}", pc + first as u64));
    // Unmapped memory is an error, and the session goes on.
    assert!(client
        .request("qSearch:memory:0;10;a")
        .expect("reply")
        .starts_with('E'));
    assert!(client.request("g").expect("g").len() > 100);
}

/// The PC (register 0x10) of the first stop, from `?`: mapped code in ld.so.
fn first_stop_pc(client: &mut rsp::RspClient) -> u64 {
    let stop = client.request("?").expect("? reply");
    let pc_field = stop
        .split(';')
        .find_map(|f| f.strip_prefix("10:"))
        .unwrap_or_else(|| panic!("no pc in {stop}"));
    let pc_bytes = rsp::decode_hex(pc_field).expect("hex pc");
    u64::from_le_bytes(pc_bytes.try_into().expect("8 bytes"))
}
