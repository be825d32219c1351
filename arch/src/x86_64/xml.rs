//! Target-description XML writer for the amd64 feature tables.
//!
//! Owns the `<flags>`, `<vector>` and `<union>` type declarations of each feature
//! and the rendering of a whole `target.xml`. Invariant: every `<reg>` element is
//! rendered from a [`RegisterDesc`] of the same description, in `regnum` order, so
//! the XML can never disagree with the `g` packet layout. The output mirrors the
//! shape GNU gdbserver 13 prints (one self-contained document, explicit `regnum`
//! attributes), which lets a test diff the two texts.

use std::fmt::Write as _;

use crate::RegisterDesc;

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

pub(crate) const EFLAGS_TYPE: TdescType = TdescType::Flags {
    id: "i386_eflags",
    size: 4,
    bits: &[
        ("CF", 0),
        // Bit 1 is reserved (always 1); gdb declares it with an empty name.
        ("", 1),
        ("PF", 2),
        ("AF", 4),
        ("ZF", 6),
        ("SF", 7),
        ("TF", 8),
        ("IF", 9),
        ("DF", 10),
        ("OF", 11),
        ("NT", 14),
        ("RF", 16),
        ("VM", 17),
        ("AC", 18),
        ("VIF", 19),
        ("VIP", 20),
        ("ID", 21),
    ],
};

pub(crate) const MXCSR_TYPE: TdescType = TdescType::Flags {
    id: "i386_mxcsr",
    size: 4,
    bits: &[
        ("IE", 0),
        ("DE", 1),
        ("ZE", 2),
        ("OE", 3),
        ("UE", 4),
        ("PE", 5),
        ("DAZ", 6),
        ("IM", 7),
        ("DM", 8),
        ("ZM", 9),
        ("OM", 10),
        ("UM", 11),
        ("PM", 12),
        ("FZ", 15),
    ],
};

/// The `vec128` union and its vectors; gdb 13 lists bfloat16 and half first.
pub(crate) const VEC128_TYPES: &[TdescType] = &[
    TdescType::Vector {
        id: "v8bf16",
        element: "bfloat16",
        count: 8,
    },
    TdescType::Vector {
        id: "v8h",
        element: "ieee_half",
        count: 8,
    },
    TdescType::Vector {
        id: "v4f",
        element: "ieee_single",
        count: 4,
    },
    TdescType::Vector {
        id: "v2d",
        element: "ieee_double",
        count: 2,
    },
    TdescType::Vector {
        id: "v16i8",
        element: "int8",
        count: 16,
    },
    TdescType::Vector {
        id: "v8i16",
        element: "int16",
        count: 8,
    },
    TdescType::Vector {
        id: "v4i32",
        element: "int32",
        count: 4,
    },
    TdescType::Vector {
        id: "v2i64",
        element: "int64",
        count: 2,
    },
    TdescType::Union {
        id: "vec128",
        fields: &[
            ("v8_bfloat16", "v8bf16"),
            ("v8_half", "v8h"),
            ("v4_float", "v4f"),
            ("v2_double", "v2d"),
            ("v16_int8", "v16i8"),
            ("v8_int16", "v8i16"),
            ("v4_int32", "v4i32"),
            ("v2_int64", "v2i64"),
            ("uint128", "uint128"),
        ],
    },
];

/// The raw type of the zmmNh halves; gdb builds `$zmmN` (v16_float...) itself.
pub(crate) const V2UI128_TYPE: TdescType = TdescType::Vector {
    id: "v2ui128",
    element: "uint128",
    count: 2,
};

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
