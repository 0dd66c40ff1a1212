//! Columnar attribute storage: the original attributes of every feature of a layer.
//!
//! Stored by column rather than by record because a bureau buildings layer can hold a million
//! records with a dozen fields: one `String` buffer per text column costs a few bytes per value,
//! a `HashMap` per record costs hundreds.

use serde::Serialize;

/// The kind of values a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Text (DBF `C`, dates are kept as `YYYY-MM-DD` text).
    Text,
    /// Floating-point number (DBF `N` with decimals, `F`).
    Number,
    /// Integer (DBF `N` without decimals, `I`).
    Integer,
    /// Logical (DBF `L`, JSON booleans).
    Bool,
}

/// One original attribute field of a layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDef {
    /// The field name as in the source file (DBF names keep their case).
    pub name: String,
    /// The kind of its values.
    pub kind: FieldKind,
}

/// A borrowed attribute value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value<'a> {
    /// No value (a null in GeoJSON, an unparseable or blank number in a DBF).
    Null,
    /// Text.
    Text(&'a str),
    /// Floating-point number.
    Number(f64),
    /// Integer.
    Integer(i64),
    /// Logical.
    Bool(bool),
}

impl<'a> Value<'a> {
    /// The value as text if it is text.
    pub fn as_text(&self) -> Option<&'a str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a number: numbers, integers, and text that parses as a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Number(v) => Some(v),
            Value::Integer(v) => Some(v as f64),
            Value::Text(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
            Value::Bool(_) | Value::Null => None,
        }
    }

    /// True for [`Value::Null`] and for blank text.
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str(""),
            Value::Text(s) => f.write_str(s),
            Value::Number(v) => write!(f, "{v}"),
            Value::Integer(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
        }
    }
}

/// An owned attribute value, used while building a table.
#[derive(Clone, Debug, PartialEq)]
pub enum OwnedValue {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// Floating-point number.
    Number(f64),
    /// Integer.
    Integer(i64),
    /// Logical.
    Bool(bool),
}

impl OwnedValue {
    /// Borrow as a [`Value`].
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::Text(s) => Value::Text(s),
            OwnedValue::Number(v) => Value::Number(*v),
            OwnedValue::Integer(v) => Value::Integer(*v),
            OwnedValue::Bool(v) => Value::Bool(*v),
        }
    }
}

/// One column of values.
#[derive(Clone, Debug)]
enum Column {
    /// All text values concatenated, with the end offset of each; `null` marks records without a value.
    Text {
        data: String,
        ends: Vec<usize>,
        null: Vec<bool>,
    },
    Number(Vec<Option<f64>>),
    Integer(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

impl Column {
    fn new(kind: FieldKind) -> Column {
        match kind {
            FieldKind::Text => Column::Text {
                data: String::new(),
                ends: Vec::new(),
                null: Vec::new(),
            },
            FieldKind::Number => Column::Number(Vec::new()),
            FieldKind::Integer => Column::Integer(Vec::new()),
            FieldKind::Bool => Column::Bool(Vec::new()),
        }
    }

    fn get(&self, i: usize) -> Value<'_> {
        match self {
            Column::Text { data, ends, null } => {
                if null[i] {
                    return Value::Null;
                }
                let start = if i == 0 { 0 } else { ends[i - 1] };
                Value::Text(&data[start..ends[i]])
            }
            Column::Number(v) => v[i].map_or(Value::Null, Value::Number),
            Column::Integer(v) => v[i].map_or(Value::Null, Value::Integer),
            Column::Bool(v) => v[i].map_or(Value::Null, Value::Bool),
        }
    }

    /// Appends a value, converting it to the column's kind where that loses nothing a user
    /// would miss (an integer into a number column, a number into a text column as text).
    fn push(&mut self, value: Value<'_>) {
        match self {
            Column::Text { data, ends, null } => {
                match value {
                    Value::Null => null.push(true),
                    Value::Text(s) => {
                        data.push_str(s);
                        null.push(false);
                    }
                    other => {
                        use std::fmt::Write;
                        let _ = write!(data, "{other}");
                        null.push(false);
                    }
                }
                ends.push(data.len());
            }
            Column::Number(v) => v.push(value.as_f64()),
            Column::Integer(v) => v.push(match value {
                Value::Integer(i) => Some(i),
                Value::Number(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
                Value::Text(s) => s.trim().parse().ok(),
                _ => None,
            }),
            Column::Bool(v) => v.push(match value {
                Value::Bool(b) => Some(b),
                _ => None,
            }),
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text { ends, .. } => ends.len(),
            Column::Number(v) => v.len(),
            Column::Integer(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }

    fn truncate(&mut self, len: usize) {
        match self {
            Column::Text { data, ends, null } => {
                let end = if len == 0 { 0 } else { ends[len - 1] };
                data.truncate(end);
                ends.truncate(len);
                null.truncate(len);
            }
            Column::Number(v) => v.truncate(len),
            Column::Integer(v) => v.truncate(len),
            Column::Bool(v) => v.truncate(len),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Column::Text { data, ends, null } => {
                data.shrink_to_fit();
                ends.shrink_to_fit();
                null.shrink_to_fit();
            }
            Column::Number(v) => v.shrink_to_fit(),
            Column::Integer(v) => v.shrink_to_fit(),
            Column::Bool(v) => v.shrink_to_fit(),
        }
    }
}

/// The attribute table of a layer: a schema and one column per field.
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    fields: Vec<FieldDef>,
    columns: Vec<Column>,
    len: usize,
}

impl Attributes {
    /// An empty table with these fields.
    pub fn new(fields: Vec<FieldDef>) -> Attributes {
        let columns = fields.iter().map(|f| Column::new(f.kind)).collect();
        Attributes {
            fields,
            columns,
            len: 0,
        }
    }

    /// The fields, in source order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The index of a field by name; exact match first, then ASCII case-insensitive.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name).or_else(|| {
            self.fields
                .iter()
                .position(|f| f.name.eq_ignore_ascii_case(name))
        })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of field `field` in record `record` (both 0-based).
    ///
    /// # Panics
    /// When either index is out of range, like slice indexing.
    pub fn get(&self, record: usize, field: usize) -> Value<'_> {
        assert!(record < self.len, "record {record} out of range");
        self.columns[field].get(record)
    }

    /// The value of a named field, or `None` when the layer has no such field.
    pub fn get_by_name(&self, record: usize, name: &str) -> Option<Value<'_>> {
        self.field_index(name).map(|f| self.get(record, f))
    }

    /// All values of one record, paired with their field names.
    pub fn record(&self, record: usize) -> impl Iterator<Item = (&str, Value<'_>)> {
        self.fields
            .iter()
            .zip(&self.columns)
            .map(move |(f, c)| (f.name.as_str(), c.get(record)))
    }

    /// Appends one record; `values` must hold one value per field, in field order.
    ///
    /// Returns an error message when the count does not match (the caller adds the file and record).
    pub fn push_record<'v>(
        &mut self,
        values: impl IntoIterator<Item = Value<'v>>,
    ) -> Result<(), String> {
        let mut n = 0;
        for value in values {
            if n == self.columns.len() {
                self.rollback(n);
                return Err(format!(
                    "more values than the {} fields of the table",
                    self.fields.len()
                ));
            }
            self.columns[n].push(value);
            n += 1;
        }
        if n != self.columns.len() {
            self.rollback(n);
            return Err(format!(
                "{n} values for the {} fields of the table",
                self.fields.len()
            ));
        }
        self.len += 1;
        Ok(())
    }

    /// Undo a partly pushed record: the first `pushed` columns got one value too many.
    fn rollback(&mut self, pushed: usize) {
        let len = self.len;
        for c in &mut self.columns[..pushed] {
            c.truncate(len);
        }
    }

    /// Release spare capacity once loading is done.
    pub fn shrink_to_fit(&mut self) {
        for c in &mut self.columns {
            c.shrink_to_fit();
        }
        debug_assert!(self.columns.iter().all(|c| c.len() == self.len));
    }

    /// Keep only the records for which `keep` is true, in order.
    pub fn retain_records(&mut self, keep: &[bool]) {
        let mut out = Attributes::new(self.fields.clone());
        for (i, k) in keep.iter().enumerate() {
            if *k {
                let values: Vec<Value<'_>> = self.columns.iter().map(|c| c.get(i)).collect();
                // Same schema, so the count always matches.
                let _ = out.push_record(values);
            }
        }
        *self = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Attributes {
        Attributes::new(vec![
            FieldDef {
                name: "MC".into(),
                kind: FieldKind::Text,
            },
            FieldDef {
                name: "CS".into(),
                kind: FieldKind::Integer,
            },
            FieldDef {
                name: "MJ".into(),
                kind: FieldKind::Number,
            },
        ])
    }

    #[test]
    fn values_round_trip_by_column() {
        let mut t = table();
        t.push_record([
            Value::Text("福州路小区"),
            Value::Integer(6),
            Value::Number(12.5),
        ])
        .unwrap();
        t.push_record([Value::Null, Value::Null, Value::Text("7.25")])
            .unwrap();
        t.push_record([Value::Text(""), Value::Number(3.0), Value::Null])
            .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(0, 0), Value::Text("福州路小区"));
        assert_eq!(t.get(1, 0), Value::Null);
        assert_eq!(t.get(2, 0), Value::Text(""));
        assert_eq!(t.get(2, 1), Value::Integer(3));
        assert_eq!(t.get(1, 2), Value::Number(7.25));
        assert_eq!(t.get_by_name(0, "cs"), Some(Value::Integer(6)));
        assert_eq!(t.get_by_name(0, "nope"), None);
    }

    #[test]
    fn a_short_record_is_refused_and_leaves_the_table_as_it_was() {
        let mut t = table();
        t.push_record([Value::Text("a"), Value::Integer(1), Value::Number(1.0)])
            .unwrap();
        assert!(t
            .push_record([Value::Text("b"), Value::Integer(2)])
            .is_err());
        assert!(t
            .push_record([
                Value::Text("b"),
                Value::Integer(2),
                Value::Null,
                Value::Null
            ])
            .is_err());
        assert_eq!(t.len(), 1);
        t.push_record([Value::Text("c"), Value::Integer(3), Value::Null])
            .unwrap();
        assert_eq!(t.get(1, 0), Value::Text("c"));
        t.shrink_to_fit();
    }

    #[test]
    fn retain_keeps_order() {
        let mut t = table();
        for i in 0..5 {
            let name = format!("n{i}");
            t.push_record([Value::Text(&name), Value::Integer(i), Value::Null])
                .unwrap();
        }
        t.retain_records(&[true, false, true, false, true]);
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(2, 0), Value::Text("n4"));
    }
}
