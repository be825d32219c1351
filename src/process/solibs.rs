//! The shared-library list gdb reads in one packet
//! (`qXfer:libraries-svr4:read`) instead of walking the dynamic linker's
//! link maps itself a word at a time: found through the program's
//! DT_DEBUG entry (`struct r_debug`), listed as gdbserver lists it (the
//! program's own map as `main-lm`, then every named library). Libraries
//! in other namespaces (`dlmopen`) follow, each namespace's list found
//! through glibc's `r_debug_extended` chain (r_version 2, glibc 2.35 and
//! later); each library's `lmid` is the address of its namespace's
//! `r_debug`, as gdbserver gives it.
//!
//! With `augmented-libraries-svr4-read`, gdb (which follows the dynamic
//! linker's probes) asks only for what was added at a solib event: the
//! annex `lmid=N;start=LM;prev=LM` names the first new map and the one
//! before it, and the list starts there.
//! Before the dynamic linker has set DT_DEBUG the list is empty; without
//! a DT_DEBUG entry at all (a static program, ld.so run as the program)
//! the request fails and gdb walks the link maps itself, as with
//! gdbserver.

use std::fmt::Write;

use anyhow::Result;

use super::Process;
use crate::rsp::qxfer::xml_escape;

const PT_DYNAMIC: u32 = 2;
const PT_PHDR: u32 = 6;
const DT_NULL: u64 = 0;
const DT_DEBUG: u64 = 21;
/// `struct r_debug`, in words: r_version (an int in a word's slot), then
/// r_map; in `struct r_debug_extended` (r_version 2), r_next after r_brk,
/// r_state and r_ldbase.
const R_VERSION: u64 = 0;
const R_MAP: u64 = 1;
const R_NEXT: u64 = 5;
/// glibc has 16 namespaces (DL_NNS); more means a corrupt chain.
const MAX_NAMESPACES: usize = 64;
/// `struct link_map`'s public head (<link.h>), in words: l_addr, l_name,
/// l_ld, l_next, l_prev, one pointer each (also read by `tls`).
pub(super) const L_ADDR: u64 = 0;
pub(super) const L_NEXT: u64 = 3;
pub(super) const L_PREV: u64 = 4;
/// Bounds against a corrupt program: dynamic entries, link maps, name size.
const MAX_DYNAMIC: u64 = 4096;
const MAX_MAPS: usize = 100_000;
const MAX_NAME: usize = 4096;

/// What part of the list gdb asks for (the qXfer annex).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LibraryListRequest {
    /// `start=`: the first map to list; None: the whole list.
    pub start: Option<u64>,
    /// `prev=`: the map before `start` (checked against its l_prev).
    pub prev: u64,
    /// `lmid=`: the namespace `start` is in; None: the base namespace.
    pub lmid: Option<u64>,
}

impl LibraryListRequest {
    /// `lmid=N;start=LM;prev=LM` (hex, each optional); None if malformed.
    pub fn parse(annex: &str) -> Option<LibraryListRequest> {
        let mut request = LibraryListRequest::default();
        for field in annex.split(';').filter(|f| !f.is_empty()) {
            let (key, value) = field.split_once('=')?;
            let value = value.trim_start_matches("0x");
            let value = u64::from_str_radix(value, 16).ok()?;
            match key {
                "start" => request.start = Some(value).filter(|&v| v != 0),
                "prev" => request.prev = value,
                "lmid" => request.lmid = Some(value),
                _ => return None,
            }
        }
        Some(request)
    }
}

impl Process {
    /// The `<library-list-svr4>` document of this process, or of the part
    /// of it that `request` names.
    pub fn svr4_library_list(&mut self, request: LibraryListRequest) -> Result<String> {
        let mut doc = String::from("<library-list-svr4 version=\"1.0\"");
        if let Some(start) = request.start {
            let lmid = match request.lmid {
                Some(lmid) => lmid,
                None => self.r_debug_address()?.unwrap_or(0),
            };
            doc.push('>');
            let before = self.read_field(start, L_PREV)?;
            if before != request.prev {
                // The list changed under gdb: it asks again from the start.
                anyhow::bail!(
                    "map {start:#x} follows {before:#x}, not {:#x}",
                    request.prev
                );
            }
            self.push_libraries(&mut doc, start, lmid)?;
            doc.push_str("</library-list-svr4>");
            return Ok(doc);
        }
        let r_debug = self.r_debug_address()?;
        let mut map = match r_debug {
            Some(r_debug) => self.read_field(r_debug, R_MAP)?,
            None => 0,
        };
        if map == 0 {
            doc.push_str("></library-list-svr4>");
            return Ok(doc);
        }
        let mut lmid = r_debug.unwrap_or(0);
        let _ = write!(doc, " main-lm=\"{map:#x}\">");
        // The first map is the program's own.
        map = self.read_field(map, L_NEXT)?;
        self.push_libraries(&mut doc, map, lmid)?;
        // The other namespaces, while the r_debug says there is a chain.
        for _ in 0..MAX_NAMESPACES {
            let version = self.read_field(lmid, R_VERSION)? as u32;
            if version < 2 {
                break;
            }
            lmid = self.read_field(lmid, R_NEXT)?;
            if lmid == 0 {
                break;
            }
            let first = self.read_field(lmid, R_MAP)?;
            self.push_libraries(&mut doc, first, lmid)?;
        }
        doc.push_str("</library-list-svr4>");
        Ok(doc)
    }

    /// A `<library>` for each named map from `map` on, in namespace `lmid`.
    fn push_libraries(&mut self, doc: &mut String, mut map: u64, lmid: u64) -> Result<()> {
        for _ in 0..MAX_MAPS {
            if map == 0 {
                break;
            }
            // l_addr, l_name, l_ld, l_next: one read.
            let [l_addr, name_addr, l_ld, next] = self.read_fields(map)?;
            let name = self.read_c_string(name_addr)?;
            if !name.is_empty() {
                doc.push_str("<library name=\"");
                xml_escape(&name, doc);
                let _ = write!(
                    doc,
                    "\" lm=\"{map:#x}\" l_addr=\"{l_addr:#x}\" l_ld=\"{l_ld:#x}\" lmid=\"{lmid:#x}\"/>"
                );
            }
            map = next;
        }
        Ok(())
    }

    /// Where `struct r_debug` is: the value of the program's DT_DEBUG
    /// entry, found from its program headers (the auxiliary vector says
    /// where they are; PT_PHDR gives the load bias). None while it is 0.
    fn r_debug_address(&mut self) -> Result<Option<u64>> {
        if let Some(known) = self.r_debug {
            return Ok(Some(known));
        }
        let found = self.find_r_debug()?;
        self.r_debug = found;
        Ok(found)
    }

    fn find_r_debug(&mut self) -> Result<Option<u64>> {
        let (phdr, phnum) = self.program_headers()?;
        let mut bias = None;
        let mut dynamic = None;
        for i in 0..phnum.min(512) {
            match self.program_header(phdr, i)? {
                (PT_PHDR, p_vaddr) => bias = Some(phdr.wrapping_sub(p_vaddr)),
                (PT_DYNAMIC, p_vaddr) => dynamic = Some(p_vaddr),
                _ => {}
            }
        }
        // Without them (a static program, or ld.so run as the program)
        // gdb must find the list itself: an error tells it so.
        let (Some(bias), Some(dynamic)) = (bias, dynamic) else {
            anyhow::bail!("the program has no dynamic section");
        };
        let dynamic = dynamic.wrapping_add(bias);
        // Elf_Dyn: d_tag, d_val, one word each.
        for i in 0..MAX_DYNAMIC {
            let tag = self.read_field(dynamic, 2 * i)?;
            let value = self.read_field(dynamic, 2 * i + 1)?;
            match tag {
                DT_NULL => break,
                DT_DEBUG => return Ok(Some(value).filter(|&v| v != 0)),
                _ => {}
            }
        }
        anyhow::bail!("the program's dynamic section has no DT_DEBUG")
    }

    /// A NUL-terminated string of the program's (lossy UTF-8).
    fn read_c_string(&mut self, addr: u64) -> Result<String> {
        if addr == 0 {
            return Ok(String::new());
        }
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 256];
        while bytes.len() < MAX_NAME {
            let n = self.read_memory(addr.wrapping_add(bytes.len() as u64), &mut chunk)?;
            if n == 0 {
                break;
            }
            match chunk[..n].iter().position(|&b| b == 0) {
                Some(end) => {
                    bytes.extend_from_slice(&chunk[..end]);
                    break;
                }
                None => bytes.extend_from_slice(&chunk[..n]),
            }
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gdbs_annex() {
        assert_eq!(
            LibraryListRequest::parse(""),
            Some(LibraryListRequest::default())
        );
        assert_eq!(
            LibraryListRequest::parse("lmid=7ffff7ffe118;start=55555555a880;prev=7ffff7ffdad0"),
            Some(LibraryListRequest {
                start: Some(0x5555_5555_a880),
                prev: 0x7fff_f7ff_dad0,
                lmid: Some(0x7fff_f7ff_e118),
            })
        );
        assert_eq!(
            LibraryListRequest::parse("start=0;prev=0").map(|r| r.start),
            Some(None)
        );
        assert_eq!(LibraryListRequest::parse("start=zz"), None);
        assert_eq!(LibraryListRequest::parse("bogus=1"), None);
    }
}
