//! dBase (`.dbf`) attribute tables, decoded straight into columns.
//!
//! Written here rather than through the `dbase` crate because two things the bureau's data needs
//! are not available there: a decoding error that names the record and field with the offending
//! bytes, and decoding straight into column buffers (a million-record table would otherwise
//! allocate a `String` per value and a map per record). The format itself is small: a 32-byte
//! header, 32-byte field descriptors, fixed-width records.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

use super::LoadError;
use crate::model::{Attributes, FieldDef, FieldKind, Problem, ProblemKind, Severity, Value};

/// The fixed part of a DBF header.
#[derive(Clone, Debug)]
pub struct DbfHeader {
    /// Records declared in the header.
    pub records: usize,
    /// Bytes before the first record.
    pub header_len: usize,
    /// Bytes per record, deletion flag included.
    pub record_len: usize,
    /// Language driver id (byte 29); 0 when unset.
    pub language_byte: u8,
    /// Field descriptors with raw (undecoded) names.
    fields: Vec<RawField>,
}

#[derive(Clone, Debug)]
struct RawField {
    name: Vec<u8>,
    kind: u8,
    len: usize,
    decimals: u8,
    offset: usize,
}

/// Read only the header and field descriptors.
pub fn read_header(path: &Path) -> Result<DbfHeader, LoadError> {
    let mut f = File::open(path).map_err(|e| LoadError::io(path, e))?;
    let corrupt = |message: String| LoadError::Corrupt {
        path: path.to_path_buf(),
        record: None,
        message,
    };
    let mut head = [0u8; 32];
    f.read_exact(&mut head)
        .map_err(|_| corrupt("shorter than a dBase header (32 bytes)".into()))?;
    let records = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let header_len = u16::from_le_bytes([head[8], head[9]]) as usize;
    let record_len = u16::from_le_bytes([head[10], head[11]]) as usize;
    if header_len < 33 || record_len == 0 {
        return Err(corrupt(format!(
            "not a dBase table: header length {header_len}, record length {record_len}"
        )));
    }
    let mut rest = vec![0u8; header_len - 32];
    f.read_exact(&mut rest).map_err(|_| {
        corrupt(format!(
            "header declares {header_len} bytes; the file is shorter"
        ))
    })?;
    let mut fields = Vec::new();
    let mut offset = 1; // deletion flag
    for d in rest.chunks(32) {
        if d[0] == 0x0D || d.len() < 32 {
            break;
        }
        let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
        let len = d[16] as usize;
        // Character fields longer than 255 store the high byte in the decimal count (Clipper, FoxPro).
        let (len, decimals) = if d[11] == b'C' && d[17] > 0 {
            (len + 256 * d[17] as usize, 0)
        } else {
            (len, d[17])
        };
        fields.push(RawField {
            name: d[..name_end].to_vec(),
            kind: d[11],
            len,
            decimals,
            offset,
        });
        offset += len;
    }
    if offset != record_len {
        return Err(corrupt(format!(
            "field widths add up to {offset} bytes per record but the header says {record_len}"
        )));
    }
    Ok(DbfHeader {
        records,
        header_len,
        record_len,
        language_byte: head[29],
        fields,
    })
}

/// A decoded table and what was noticed while reading it.
pub struct DbfTable {
    /// The attributes of the records not marked deleted.
    pub attributes: Attributes,
    /// 0-based record numbers marked deleted (their shapes are dropped too).
    pub deleted: Vec<usize>,
    /// Warnings (unparseable numbers …), collapsed per field.
    pub problems: Vec<Problem>,
}

/// Why a strict read stopped: malformed text at a record and field.
pub struct Malformed {
    /// 1-based record.
    pub record: usize,
    /// Field name.
    pub field: String,
    /// The raw bytes, hex.
    pub bytes: String,
}

/// Read every record, decoding text strictly in `encoding`.
///
/// `Ok(Err(malformed))` reports the first value that is not valid in the encoding, so that a
/// caller trying encodings in turn can move on.
pub fn read_table(
    path: &Path,
    header: &DbfHeader,
    encoding: &'static Encoding,
) -> Result<Result<DbfTable, Malformed>, LoadError> {
    let corrupt = |record: Option<usize>, message: String| LoadError::Corrupt {
        path: path.to_path_buf(),
        record,
        message,
    };
    let mut defs = Vec::with_capacity(header.fields.len());
    for (i, f) in header.fields.iter().enumerate() {
        let name = match super::encoding::decode_strict(encoding, &f.name) {
            Some(n) if !n.trim().is_empty() => n.trim().to_string(),
            _ => format!("FIELD{}", i + 1),
        };
        let kind = match f.kind {
            b'N' if f.decimals == 0 && f.len < 19 => FieldKind::Integer,
            b'N' | b'F' | b'O' | b'B' | b'Y' => FieldKind::Number,
            b'I' | b'+' => FieldKind::Integer,
            b'L' => FieldKind::Bool,
            _ => FieldKind::Text,
        };
        defs.push(FieldDef { name, kind });
    }
    let mut attributes = Attributes::new(defs.clone());
    let file = File::open(path).map_err(|e| LoadError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| LoadError::io(path, e))?.len() as usize;
    let available = file_len.saturating_sub(header.header_len) / header.record_len;
    if available < header.records {
        return Err(corrupt(
            Some(available + 1),
            format!(
                "truncated: the header declares {} records of {} bytes but the file holds only {available}",
                header.records, header.record_len
            ),
        ));
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut skip = vec![0u8; header.header_len];
    reader
        .read_exact(&mut skip)
        .map_err(|e| LoadError::io(path, e))?;

    let mut record = vec![0u8; header.record_len];
    // Non-ASCII text decoded for the current record, per field; ASCII is borrowed from `record`.
    let mut decoded: Vec<String> = vec![String::new(); defs.len()];
    let mut deleted = Vec::new();
    let mut bad_numbers: Vec<(usize, usize, String)> = vec![(0, 0, String::new()); defs.len()];
    for r in 0..header.records {
        reader
            .read_exact(&mut record)
            .map_err(|e| corrupt(Some(r + 1), format!("cannot read the record: {e}")))?;
        if record[0] == b'*' {
            deleted.push(r);
            continue;
        }
        // Pass 1: decode the non-ASCII text (ASCII is the same in every encoding infill accepts).
        for (fi, f) in header.fields.iter().enumerate() {
            let t = trim(&record[f.offset..f.offset + f.len]);
            if matches!(f.kind, b'I' | b'+' | b'O' | b'B') || t.is_ascii() {
                continue;
            }
            let text = &mut decoded[fi];
            text.clear();
            text.reserve(t.len() * 3);
            let mut decoder = encoding.new_decoder_without_bom_handling();
            let (result, _) = decoder.decode_to_string_without_replacement(t, text, true);
            if !matches!(result, encoding_rs::DecoderResult::InputEmpty) {
                return Ok(Err(Malformed {
                    record: r + 1,
                    field: defs[fi].name.clone(),
                    bytes: t
                        .iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                }));
            }
        }
        // Pass 2: one value per field, straight into the columns.
        let mut dates: Vec<(usize, String)> = Vec::new();
        for (fi, f) in header.fields.iter().enumerate() {
            if f.kind == b'D' {
                let t = trim(&record[f.offset..f.offset + f.len]);
                if t.len() == 8 && t.iter().all(u8::is_ascii_digit) {
                    let d = std::str::from_utf8(t).unwrap_or_default();
                    dates.push((fi, format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])));
                }
            }
        }
        let record = &record;
        let decoded = &decoded;
        let mut bad = Vec::new();
        let row = header.fields.iter().enumerate().map(|(fi, f)| {
            let raw = &record[f.offset..f.offset + f.len];
            let t = trim(raw);
            let text: &str = if t.is_ascii() {
                std::str::from_utf8(t).unwrap_or_default()
            } else {
                decoded[fi].as_str()
            };
            match f.kind {
                b'N' | b'F' => {
                    if text.is_empty() || text.bytes().all(|b| b == b'*') {
                        Value::Null
                    } else if defs[fi].kind == FieldKind::Integer {
                        match text.parse::<i64>() {
                            Ok(i) => Value::Integer(i),
                            Err(_) => match text.parse::<f64>() {
                                Ok(v) if v.fract() == 0.0 => Value::Integer(v as i64),
                                _ => {
                                    bad.push(fi);
                                    Value::Null
                                }
                            },
                        }
                    } else {
                        match text.parse::<f64>() {
                            Ok(v) if v.is_finite() => Value::Number(v),
                            _ => {
                                bad.push(fi);
                                Value::Null
                            }
                        }
                    }
                }
                b'L' => match text.bytes().next() {
                    Some(b'Y' | b'y' | b'T' | b't') => Value::Bool(true),
                    Some(b'N' | b'n' | b'F' | b'f') => Value::Bool(false),
                    _ => Value::Null,
                },
                b'D' => match dates.iter().find(|(i, _)| *i == fi) {
                    Some((_, iso)) => Value::Text(iso),
                    None if text.is_empty() => Value::Null,
                    None => Value::Text(text),
                },
                b'I' if raw.len() == 4 => {
                    Value::Integer(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as i64)
                }
                b'O' | b'B' if raw.len() == 8 => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(raw);
                    Value::Number(f64::from_le_bytes(b))
                }
                _ if text.is_empty() => Value::Null,
                _ => Value::Text(text),
            }
        });
        attributes
            .push_record(row)
            .map_err(|m| corrupt(Some(r + 1), m))?;
        for fi in bad {
            let f = &header.fields[fi];
            let t = trim(&record[f.offset..f.offset + f.len]);
            note_bad_number(&mut bad_numbers[fi], r, &String::from_utf8_lossy(t));
        }
    }
    attributes.shrink_to_fit();
    let problems = bad_numbers
        .into_iter()
        .enumerate()
        .filter(|(_, (count, _, _))| *count > 0)
        .map(|(fi, (count, first, sample))| {
            Problem::new(
                Severity::Warning,
                ProblemKind::NotANumber,
                format!("{count} value(s) are not numbers (first {sample:?}); read as empty"),
            )
            .at_record(first + 1)
            .in_field(defs[fi].name.clone())
        })
        .collect();
    Ok(Ok(DbfTable {
        attributes,
        deleted,
        problems,
    }))
}

fn note_bad_number(slot: &mut (usize, usize, String), record: usize, text: &str) {
    if slot.0 == 0 {
        slot.1 = record;
        slot.2 = text.to_string();
    }
    slot.0 += 1;
}

/// Trim spaces and NULs from both ends. Safe on GBK/GB18030 bytes: their trail bytes are ≥ 0x30.
fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if *first == b' ' || *first == 0 {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if *last == b' ' || *last == 0 {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// The `.dbf` path next to a `.shp`, whatever the case of its extension.
pub fn sibling(shp: &Path, ext: &str) -> Option<PathBuf> {
    let lower = shp.with_extension(ext.to_ascii_lowercase());
    if lower.exists() {
        return Some(lower);
    }
    let upper = shp.with_extension(ext.to_ascii_uppercase());
    upper.exists().then_some(upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};

    /// A table with every field type bureau files use, one GBK record, one bad number, one
    /// deleted record.
    fn write_table(path: &Path) {
        let name = |n: &str| FieldName::try_from(n).unwrap();
        let mut w =
            TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding_rs::GBK))
                .add_character_field(name("MC"), 20)
                .add_numeric_field(name("CS"), 4, 0)
                .add_numeric_field(name("MJ"), 12, 2)
                .add_logical_field(name("SF"))
                .add_date_field(name("RQ"))
                .build_with_file_dest(path)
                .unwrap();
        for (mc, cs, mj, sf, rq) in [
            (
                "福州路小区",
                6.0,
                1234.5,
                Some(true),
                dbase::Date::new(5, 3, 1998).ok(),
            ),
            ("BAD", 7.0, 99.0, Some(false), None),
            ("deleted", 1.0, 1.0, None, None),
        ] {
            let mut r = Record::default();
            r.insert("MC".into(), FieldValue::Character(Some(mc.into())));
            r.insert("CS".into(), FieldValue::Numeric(Some(cs)));
            r.insert("MJ".into(), FieldValue::Numeric(Some(mj)));
            r.insert("SF".into(), FieldValue::Logical(sf));
            r.insert("RQ".into(), FieldValue::Date(rq));
            w.write_record(&r).unwrap();
        }
        w.finalize().unwrap();
        drop(w);
        // Corrupt the second record's MJ and mark the third deleted, by hand.
        let mut bytes = std::fs::read(path).unwrap();
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let record_len = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
        let mj = header_len + record_len + 1 + 20 + 4;
        bytes[mj..mj + 12].copy_from_slice(b"  12,5 m2   ");
        bytes[header_len + 2 * record_len] = b'*';
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn every_field_type_decodes_into_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.dbf");
        write_table(&path);
        let header = read_header(&path).unwrap();
        assert_eq!(header.records, 3);
        let Ok(table) = read_table(&path, &header, encoding_rs::GBK).unwrap() else {
            panic!("GBK text must decode")
        };
        let a = &table.attributes;
        assert_eq!(a.len(), 2);
        assert_eq!(table.deleted, vec![2]);
        let kinds: Vec<FieldKind> = a.fields().iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FieldKind::Text,
                FieldKind::Integer,
                FieldKind::Number,
                FieldKind::Bool,
                FieldKind::Text
            ]
        );
        assert_eq!(a.get(0, 0), Value::Text("福州路小区"));
        assert_eq!(a.get(0, 1), Value::Integer(6));
        assert_eq!(a.get(0, 2), Value::Number(1234.5));
        assert_eq!(a.get(0, 3), Value::Bool(true));
        assert_eq!(a.get(0, 4), Value::Text("1998-03-05"));
        assert_eq!(a.get(1, 2), Value::Null);
        assert_eq!(a.get(1, 3), Value::Bool(false));
        assert_eq!(a.get(1, 4), Value::Null);
        let p = &table.problems[0];
        assert_eq!((p.record, p.field.as_deref()), (Some(2), Some("MJ")));
        assert!(p.message.contains("12,5 m2"), "{}", p.message);
    }

    #[test]
    fn malformed_text_names_record_field_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.dbf");
        write_table(&path);
        let header = read_header(&path).unwrap();
        let Err(m) = read_table(&path, &header, encoding_rs::UTF_8).unwrap() else {
            panic!("GBK is not UTF-8")
        };
        assert_eq!((m.record, m.field.as_str()), (1, "MC"));
        assert!(m.bytes.starts_with("B8 A3"), "{}", m.bytes);
    }

    #[test]
    fn a_short_file_is_reported_as_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.dbf");
        write_table(&path);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
        let header = read_header(&path).unwrap();
        let e = read_table(&path, &header, encoding_rs::GBK).err().unwrap();
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}
