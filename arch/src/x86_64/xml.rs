//! The amd64 and i386 tdesc types: eflags and mxcsr flags, the vec128
//! union, the v2ui128 vector of the zmm halves, as gdb 13 declares them.

use crate::tdesc::TdescType;

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
