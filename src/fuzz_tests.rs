//! Property-based fuzzing (proptest) of everything that parses what a
//! client sends: framing (escapes, checksums, run-length bytes, garbage
//! between packets), the packets the layer answers itself, vCont, thread
//! ids, the legacy resume packets, agent expressions (parsed and run),
//! qXfer requests and windows, the library-list annex, hex, the
//! `--disable-packet` list, monitor commands, and the hand-off to gdbstub
//! (a stub over a target with no process, where every request must fail
//! cleanly).
//!
//! Inputs are random bytes and mutations of packets real gdb sessions send
//! (bytes flipped, inserted, deleted, numbers swapped for boundary values,
//! packets cut short or spliced). The property is the same everywhere: no
//! panic, no hang, bounded output. `RGDB_FUZZ_CASES` sets the cases per
//! target (default 2000; the soak of record used 200000). Live fuzzing of
//! a running server with a traced program is `scripts/fuzz/live_fuzz.py`.

use proptest::prelude::*;

use crate::agent_expr::{parse_condition_list, AgentContext};
use crate::gdbstub_glue::DebugTarget;
use crate::process::solibs::LibraryListRequest;
use crate::rsp::framing::{frame, Deframer, Incoming};
use crate::rsp::stub::StubDriver;
use crate::rsp::thread_id::ThreadRef;
use crate::rsp::{self, hex, legacy_resume, qxfer, vcont};

/// Packets gdb 13 sends in ordinary sessions (breakpoints, stepping,
/// threads, memory, files, extended mode, non-stop), the seeds of the
/// mutations. Nothing that writes files.
const CORPUS: &[&str] = &[
    "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386",
    "vMustReplyEmpty",
    "QStartNoAckMode",
    "Hgp0.0",
    "qXfer:features:read:target.xml:0,1000",
    "qXfer:features:read:64bit-core.xml:0,ffb",
    "qTStatus",
    "?",
    "qXfer:threads:read::0,1000",
    "qAttached:1a2b",
    "Hc-1",
    "qC",
    "qOffsets",
    "g",
    "G0000000000000000",
    "p10",
    "P10=0000555555555183",
    "m555555555183,40",
    "m7ffff7fe4b70,1",
    "M555555558010,4:01020304",
    "X555555558010,2:ab",
    "x555555555183,40",
    "qXfer:auxv:read::0,1000",
    "qXfer:libraries-svr4:read::0,1000",
    "qXfer:libraries-svr4:read:lmid=7ffff7ffe118;start=7ffff7fc0570;prev=7ffff7ffdad0:0,fff",
    "qXfer:exec-file:read:1a2b:0,1000",
    "qXfer:siginfo:read::0,80",
    "qXfer:siginfo:write::0:0000",
    "qXfer:osdata:read:processes:0,fff",
    "Z0,555555555183,1",
    "z0,555555555183,1",
    "Z0,555555555183,1;X3,220127",
    "Z1,555555555183,1",
    "Z2,555555558010,4",
    "Z3,555555558010,4",
    "Z4,555555558010,8",
    "vCont?",
    "vCont;c",
    "vCont;s:p1a2b.1a2b;c",
    "vCont;r555555555183,555555555190:p1a2b.1a2b;c",
    "vCont;C0b:1a2b;c",
    "vCont;t:p1a2b.-1",
    "c",
    "s",
    "C0e",
    "S05;555555555183",
    "T1a2b",
    "Hgp1a2b.1a2c",
    "Hgp0",
    "QPassSignals:e;14;17;1a;1b;1c;21;24;25;2c;4c;97;",
    "QProgramSignals:0;1;3;4;6;7;8;9;a;b;c;d;e;f;10",
    "QCatchSyscalls:1;27;e7",
    "QCatchSyscalls:0",
    "QNonStop:1",
    "QNonStop:0",
    "vStopped",
    "vCtrlC",
    "QThreadEvents:1",
    "QDisableRandomization:1",
    "QStartupWithShell:0",
    "QEnvironmentHexEncoded:464f4f3d626172",
    "QEnvironmentUnset:464f4f",
    "QEnvironmentReset",
    "QSetWorkingDir:2f746d70",
    "qGetTLSAddr:p1a2b.1a2b,10,7ffff7ffe2e0",
    "qCRC:555555555000,1000",
    "qSearch:memory:555555558000;100;\u{1}\u{2}",
    "qSymbol::",
    "qRcmd,68656c70",
    "qRcmd,736574206465627567206f7666",
    "vKill;1a2b",
    "qfThreadInfo",
    "qsThreadInfo",
    "qThreadExtraInfo,1a2b",
    "qL1200000000000000000",
    "vFile:setfs:0",
    "vFile:fstat:3",
    "vFile:pread:3,4000,0",
    "vFile:readlink:2f70726f632f73656c662f657865",
    "vFile:close:3",
];

/// Cases per property (`RGDB_FUZZ_CASES`).
fn cases() -> u32 {
    std::env::var("RGDB_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

/// Numbers a mutation puts in place of a hex field.
const BOUNDARY: &[&str] = &[
    "0",
    "1",
    "-1",
    "ffffffff",
    "ffffffffffffffff",
    "10000000000000000",
    "7fffffff",
    "",
];

/// One change to a packet.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Boundary(usize, usize),
    Truncate(usize),
    Splice(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(at, n)| Mutation::Boundary(at, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(at, other)| Mutation::Splice(at, other)),
    ]
}

fn apply(seed: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut p = seed.as_bytes().to_vec();
    for m in mutations {
        let len = p.len();
        match *m {
            Mutation::Flip(at, b) if len > 0 => p[at % len] ^= b,
            Mutation::Insert(at, b) => p.insert(at % (len + 1), b),
            Mutation::Delete(at) if len > 0 => {
                p.remove(at % len);
            }
            Mutation::Boundary(at, n) => {
                // Replace the run of hex digits around `at` with a boundary value.
                if len == 0 {
                    continue;
                }
                let at = at % len;
                let start = p[..at]
                    .iter()
                    .rposition(|b| !b.is_ascii_hexdigit())
                    .map_or(0, |i| i + 1);
                let end = p[at..]
                    .iter()
                    .position(|b| !b.is_ascii_hexdigit())
                    .map_or(len, |i| at + i);
                let value = BOUNDARY[n % BOUNDARY.len()].as_bytes();
                p.splice(start..end, value.iter().copied());
            }
            Mutation::Truncate(at) => p.truncate(at % (len + 1)),
            Mutation::Splice(at, other) => {
                let other = CORPUS[other % CORPUS.len()].as_bytes();
                let at = at % (len + 1);
                p.truncate(at);
                p.extend_from_slice(&other[other.len() / 2..]);
            }
            _ => {}
        }
    }
    p
}

/// A packet: random bytes, or a mutated real one.
fn packet() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        (
            prop::sample::select(CORPUS),
            prop::collection::vec(mutation(), 0..6)
        )
            .prop_map(|(seed, ms)| apply(seed, &ms)),
    ]
}

/// Memory and registers for agent expressions: a little readable memory.
struct FakeThread;

impl AgentContext for FakeThread {
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        anyhow::ensure!(
            addr < 0x1000 && addr as usize + buf.len() <= 0x1000,
            "unmapped"
        );
        buf.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (addr as usize + i) as u8);
        Ok(())
    }

    fn read_register(&mut self, regno: u32) -> anyhow::Result<u64> {
        anyhow::ensure!(regno < 80, "no register {regno}");
        Ok(u64::from(regno) * 0x1111)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn framing_takes_any_byte_stream(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut deframer = Deframer::new(512);
        let mut items = Vec::new();
        // Fed in pieces cut anywhere, as TCP delivers them.
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            deframer.feed(&bytes[start..cut], &mut items);
            start = cut;
        }
        for item in items {
            if let Incoming::Packet { payload, .. } = item {
                prop_assert!(payload.len() <= 512);
            }
        }
    }

    #[test]
    fn framing_round_trips_a_packet(payload in prop::collection::vec(any::<u8>(), 0..400)) {
        // What a client frames, the server reads back (escapes undone by
        // the packet's own parser): the payload and a good checksum.
        let clean: Vec<u8> = payload.iter().copied().filter(|b| !b"$#}*".contains(b)).collect();
        let mut framed = Vec::new();
        frame(&clean, &mut framed);
        let mut deframer = Deframer::new(4096);
        let mut items = Vec::new();
        deframer.feed(&framed, &mut items);
        prop_assert_eq!(items, vec![Incoming::Packet { payload: clean, checksum_ok: true }]);
    }

    #[test]
    fn owned_packets_parse_without_panic(p in packet()) {
        let _ = rsp::owned(&p);
        let _ = rsp::unescape(&p);
        let _ = rsp::offers_multiprocess(&p);
        let _ = rsp::changes_debug_registers(&p);
    }

    #[test]
    fn vcont_and_thread_ids_parse_without_panic(p in packet()) {
        let _ = vcont::parse(&p);
        let _ = vcont::continue_scope(&p);
        let _ = ThreadRef::parse(&p);
        if legacy_resume::is_legacy_resume(&p) {
            for hc in [None, Some(ThreadRef::All), ThreadRef::parse(b"p1.2")] {
                if let Some(r) = legacy_resume::as_vcont(&p, hc, "p1.2", "p1.3") {
                    // What it becomes parses as a vCont.
                    prop_assert!(vcont::parse(r.vcont.as_bytes()).is_some(), "{}", r.vcont);
                }
            }
        }
    }

    #[test]
    fn agent_expressions_parse_and_run_to_an_end(p in packet()) {
        let text = String::from_utf8_lossy(&p);
        if let Ok(exprs) = parse_condition_list(&text) {
            for expr in exprs {
                let _ = expr.evaluate(&mut FakeThread);
            }
        }
    }

    #[test]
    fn agent_bytecode_runs_to_an_end(code in prop::collection::vec(any::<u8>(), 1..64)) {
        let text = format!("X{:x},{}", code.len(), hex::encode_string(&code));
        let exprs = parse_condition_list(&text);
        prop_assert!(exprs.is_ok(), "{:?}", exprs);
        for expr in exprs.unwrap_or_default() {
            let _ = expr.evaluate(&mut FakeThread);
        }
    }

    #[test]
    fn xfer_requests_and_windows_are_bounded(
        p in packet(),
        data in prop::collection::vec(any::<u8>(), 0..300),
        offset in any::<usize>(),
        length in any::<usize>(),
    ) {
        let _ = qxfer::parse_read(&p);
        let _ = LibraryListRequest::parse(&String::from_utf8_lossy(&p));
        let reply = qxfer::window_reply(&data, offset, length);
        // At most every byte escaped, plus the `m`/`l`.
        prop_assert!(reply.len() <= 2 * data.len() + 1);
    }

    #[test]
    fn hex_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..200), p in packet()) {
        prop_assert_eq!(hex::decode(&hex::encode(&bytes)), Some(bytes));
        let _ = hex::decode(&p);
    }

    #[test]
    fn option_lists_parse_without_panic(words in prop::collection::vec("[A-Za-z,]{0,12}", 0..4)) {
        let _ = rsp::DisabledPackets::parse(&words);
    }

    #[test]
    fn gdbstub_takes_any_packet_on_a_target_without_a_process(
        packets in prop::collection::vec(packet(), 1..12),
    ) {
        let mut target = DebugTarget::new(None);
        let mut stub = StubDriver::new(&mut target).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for p in packets {
            // Host I/O could write the machine's files: not fuzzed here.
            if p.starts_with(b"vFile") {
                continue;
            }
            let replies = stub.feed(&mut target, &p).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(replies.len() < 1 << 20);
        }
    }
}
