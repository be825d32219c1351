//! Target descriptions from feature tables, for every architecture: the
//! tables' shape (features of runs of like registers), the numbering and
//! `g` packet layout derived from them, and the `target.xml` writer.
//!
//! Invariant: every `<reg>` element is rendered from a [`RegisterDesc`] of
//! the same description, in `regnum` order, so the XML can never disagree
//! with the `g` packet layout. The output mirrors the shape GNU gdbserver
//! 13 prints (one self-contained document, explicit `regnum` attributes),
//! which lets a test diff the two texts.

use std::fmt::Write as _;

use crate::{RegisterDesc, TargetDescription};

/// A named tdesc type that a feature declares before its registers use it.
///
/// gdb resolves a register's `type` only among the types of the same feature
/// (plus the predefined ones), so a feature that uses `vec128` must declare it
/// itself, even when another feature already did.
#[derive(Debug)]
pub(crate) enum TdescType {
    /// A flags register whose named fields are single bits (`type="bool"`).
    Flags {
        id: &'static str,
        size: u32,
        bits: &'static [(&'static str, u32)],
    },
    Vector {
        id: &'static str,
        element: &'static str,
        count: u32,
    },
    Union {
        id: &'static str,
        fields: &'static [(&'static str, &'static str)],
    },
}

/// Consecutive registers of one feature that share size, type and group.
pub(crate) struct Run {
    names: &'static [&'static str],
    bitsize: u32,
    type_name: &'static str,
    group: Option<&'static str>,
}

pub(crate) struct Feature {
    pub(crate) xml: FeatureXml,
    pub(crate) runs: &'static [Run],
}

pub(crate) const fn run(
    names: &'static [&'static str],
    bitsize: u32,
    type_name: &'static str,
) -> Run {
    Run {
        names,
        bitsize,
        type_name,
        group: None,
    }
}

pub(crate) const fn grouped(run: Run, group: &'static str) -> Run {
    Run {
        group: Some(group),
        ..run
    }
}

/// `["xmm0", "xmm1", ...]` from a prefix, a suffix and the numbers.
macro_rules! numbered {
    ($prefix:literal, $suffix:literal; $($n:literal)*) => {
        &[$(concat!($prefix, $n, $suffix)),*]
    };
}

pub(crate) use numbered;

/// What a description says besides its registers.
pub(crate) struct DescriptionFacts {
    pub pc_regnum: usize,
    pub sp_regnum: usize,
    pub fp_regnum: usize,
    pub address_size: usize,
}

/// Numbers the registers of `chosen` in order, lays out the `g` packet and
/// renders the XML: every architecture's description is made here.
pub(crate) fn build(
    architecture: &str,
    osabi: &str,
    chosen: &[&Feature],
    facts: DescriptionFacts,
) -> TargetDescription {
    let mut registers = Vec::new();
    let mut offset = 0;
    for feature in chosen {
        for run in feature.runs {
            for &name in run.names {
                let reg = RegisterDesc {
                    name,
                    bitsize: run.bitsize,
                    regnum: registers.len(),
                    offset,
                    type_name: run.type_name,
                    group: run.group,
                    feature: feature.xml.name,
                };
                offset += reg.size();
                registers.push(reg);
            }
        }
    }

    let xml_features: Vec<&FeatureXml> = chosen.iter().map(|f| &f.xml).collect();
    let xml = render(architecture, osabi, &xml_features, &registers);
    TargetDescription {
        registers,
        xml,
        g_packet_len: offset,
        pc_regnum: facts.pc_regnum,
        sp_regnum: facts.sp_regnum,
        fp_regnum: facts.fp_regnum,
        address_size: facts.address_size,
    }
}

/// What the XML needs to know about one feature besides its registers.
#[derive(Debug)]
pub(crate) struct FeatureXml {
    pub name: &'static str,
    /// Type declarations, in the order they are printed.
    pub types: &'static [&'static [TdescType]],
}

/// Renders the complete `target.xml` for `features`, taking the `<reg>` elements
/// of each feature from `registers` (matched by `RegisterDesc::feature`).
pub(crate) fn render(
    architecture: &str,
    osabi: &str,
    features: &[&FeatureXml],
    registers: &[RegisterDesc],
) -> String {
    let mut xml = String::with_capacity(16 * 1024);
    xml.push_str("<?xml version=\"1.0\"?>\n");
    xml.push_str("<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n");
    xml.push_str("<target>\n");
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(xml, "  <architecture>{architecture}</architecture>");
    let _ = writeln!(xml, "  <osabi>{osabi}</osabi>");
    for feature in features {
        let _ = writeln!(xml, "  <feature name=\"{}\">", feature.name);
        for ty in feature.types.iter().flat_map(|list| list.iter()) {
            render_type(&mut xml, ty);
        }
        for reg in registers.iter().filter(|r| r.feature == feature.name) {
            render_reg(&mut xml, reg);
        }
        xml.push_str("  </feature>\n");
    }
    xml.push_str("</target>\n");
    xml
}

fn render_type(xml: &mut String, ty: &TdescType) {
    match ty {
        TdescType::Flags { id, size, bits } => {
            let _ = writeln!(xml, "    <flags id=\"{id}\" size=\"{size}\">");
            for (name, bit) in bits.iter() {
                let _ = writeln!(
                    xml,
                    "      <field name=\"{name}\" start=\"{bit}\" end=\"{bit}\" type=\"bool\"/>"
                );
            }
            xml.push_str("    </flags>\n");
        }
        TdescType::Vector { id, element, count } => {
            let _ = writeln!(
                xml,
                "    <vector id=\"{id}\" type=\"{element}\" count=\"{count}\"/>"
            );
        }
        TdescType::Union { id, fields } => {
            let _ = writeln!(xml, "    <union id=\"{id}\">");
            for (name, field_type) in fields.iter() {
                let _ = writeln!(xml, "      <field name=\"{name}\" type=\"{field_type}\"/>");
            }
            xml.push_str("    </union>\n");
        }
    }
}

fn render_reg(xml: &mut String, reg: &RegisterDesc) {
    let _ = write!(
        xml,
        "    <reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"",
        reg.name, reg.bitsize, reg.type_name, reg.regnum
    );
    if let Some(group) = reg.group {
        let _ = write!(xml, " group=\"{group}\"");
    }
    xml.push_str("/>\n");
}
