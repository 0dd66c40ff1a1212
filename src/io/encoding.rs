//! Text encoding of DBF attribute tables: `.cpg` labels, DBF language driver ids, and the fallback order.
//!
//! Order of decision (as GDAL's shapefile driver, plus the fallbacks bureau data needs):
//! config override → `.cpg` → DBF language driver byte → strict UTF-8 → GB18030.

use encoding_rs::Encoding;

/// How the text encoding of a table was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Set in the config.
    Override,
    /// Read from the `.cpg` file.
    Cpg,
    /// From the DBF header's language driver id.
    LanguageByte(u8),
    /// Nothing declared; every text value decoded as UTF-8.
    ValidUtf8,
    /// Nothing declared; text is not UTF-8, so read as GB18030 (a superset of GBK and GB2312).
    Gb18030Fallback,
}

/// The encoding chosen for a table and the reason, for reports.
#[derive(Clone, Debug)]
pub struct EncodingChoice {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// The name shown to users (`GBK`, `UTF-8`, `windows-1252`).
    pub label: String,
    /// How it was decided.
    pub decision: Decision,
    /// A sentence saying how it was decided.
    pub how: String,
}

/// Resolve an encoding label as written in `.cpg` files and configs.
///
/// Accepts code page numbers (`936`, `65001`, `1252`), `CP`/`windows-`/`ANSI ` prefixed forms,
/// and names (`GBK`, `GB2312`, `GB18030`, `UTF-8`, `Big5`, `LATIN1` …), in any case.
pub fn from_label(label: &str) -> Option<&'static Encoding> {
    let t = label.trim().trim_matches('\u{feff}').trim();
    let upper = t.to_ascii_uppercase().replace(['_', ' '], "-");
    let code = upper
        .strip_prefix("CP")
        .or_else(|| upper.strip_prefix("WINDOWS-"))
        .or_else(|| upper.strip_prefix("ANSI-"))
        .or_else(|| upper.strip_prefix("MS"))
        .unwrap_or(&upper)
        .trim_start_matches('-');
    if let Ok(n) = code.parse::<u32>() {
        return from_code_page(n);
    }
    match upper.as_str() {
        // GB2312 is a subset of GBK; decoding it as GBK is what every GIS does.
        "GBK" | "GB2312" | "GB-2312" | "EUC-CN" | "CHINESE" => Some(encoding_rs::GBK),
        "GB18030" => Some(encoding_rs::GB18030),
        "UTF8" | "UTF-8" | "UNICODE" => Some(encoding_rs::UTF_8),
        "BIG5" | "BIG-5" => Some(encoding_rs::BIG5),
        "LATIN1" | "LATIN-1" | "ISO-8859-1" | "ISO8859-1" | "88591" => {
            Some(encoding_rs::WINDOWS_1252)
        }
        "SHIFT-JIS" | "SJIS" => Some(encoding_rs::SHIFT_JIS),
        "EUC-KR" => Some(encoding_rs::EUC_KR),
        _ => Encoding::for_label(t.as_bytes()),
    }
}

/// Encoding of a Windows code page number.
fn from_code_page(n: u32) -> Option<&'static Encoding> {
    Some(match n {
        936 => encoding_rs::GBK,
        54936 => encoding_rs::GB18030,
        65001 => encoding_rs::UTF_8,
        950 => encoding_rs::BIG5,
        932 => encoding_rs::SHIFT_JIS,
        949 => encoding_rs::EUC_KR,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1252 | 28591 | 88591 => encoding_rs::WINDOWS_1252,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        874 => encoding_rs::WINDOWS_874,
        866 => encoding_rs::IBM866,
        _ => return None,
    })
}

/// Encoding of a DBF language driver id (header byte 29), after the table GDAL and ArcGIS use.
///
/// 0 means "not set" and gives `None`; so do ids for DOS code pages encoding_rs lacks.
pub fn from_language_byte(ldid: u8) -> Option<&'static Encoding> {
    let code_page = match ldid {
        0x03 | 0x57 | 0x58 | 0x59 => 1252,
        0x4D | 0x7A => 936,
        0x4E | 0x79 => 949,
        0x4F | 0x78 => 950,
        0x13 | 0x7B => 932,
        0x50 | 0x7C => 874,
        0x7D => 1255,
        0x7E => 1256,
        0xC8 => 1250,
        0xC9 => 1251,
        0xCA => 1254,
        0xCB => 1253,
        0x26 | 0x65 => 866,
        _ => return None,
    };
    from_code_page(code_page)
}

/// A user-facing name for an encoding.
pub fn display_name(e: &'static Encoding) -> &'static str {
    e.name()
}

/// Decode bytes strictly: `None` when they are malformed in this encoding.
pub fn decode_strict(e: &'static Encoding, bytes: &[u8]) -> Option<String> {
    e.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpg_labels_seen_in_bureau_data() {
        for label in [
            "GBK", "gbk", "936", "CP936", "cp936", "GB2312", "gb2312", " GBK\r\n", "ANSI 936",
        ] {
            assert_eq!(from_label(label), Some(encoding_rs::GBK), "{label:?}");
        }
        assert_eq!(from_label("GB18030"), Some(encoding_rs::GB18030));
        for label in ["UTF-8", "utf8", "65001", "Utf-8"] {
            assert_eq!(from_label(label), Some(encoding_rs::UTF_8), "{label:?}");
        }
        for label in ["1252", "CP1252", "windows-1252", "ANSI 1252", "ISO-8859-1"] {
            assert_eq!(
                from_label(label),
                Some(encoding_rs::WINDOWS_1252),
                "{label:?}"
            );
        }
        assert_eq!(from_label("KLINGON"), None);
        assert_eq!(from_label("12345"), None);
    }

    #[test]
    fn language_bytes() {
        assert_eq!(from_language_byte(0x4D), Some(encoding_rs::GBK));
        assert_eq!(from_language_byte(0x7A), Some(encoding_rs::GBK));
        assert_eq!(from_language_byte(0x57), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(from_language_byte(0), None);
    }

    #[test]
    fn strict_decoding_refuses_malformed_bytes() {
        assert_eq!(
            decode_strict(encoding_rs::GBK, &[0xB8, 0xA3, 0xD6, 0xDD]).as_deref(),
            Some("福州")
        );
        assert_eq!(decode_strict(encoding_rs::UTF_8, &[0xB8, 0xA3]), None);
    }
}
