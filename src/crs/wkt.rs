//! A small reader for WKT1 coordinate-system text (`.prj` files, EPSG WKT).
//!
//! Hand-written because there is no maintained pure-Rust WKT1-CRS parser: the `wkt` crate reads
//! geometries only, and GDAL/PROJ bindings need system libraries. The grammar is tiny —
//! `KEYWORD[arg, arg, ...]` where an argument is a quoted string, a number, a bare word or a
//! nested node — so a recursive-descent reader over bytes is enough. It accepts `[]` and `()`
//! delimiters, whitespace anywhere between tokens, `""` escapes inside strings and a leading
//! UTF-8 byte-order mark, and reports the byte offset of the first problem.

use super::CrsError;

/// One `KEYWORD[...]` node of a WKT1 text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WktNode {
    /// The keyword as written (`PROJCS`, `GEOGCS`, `PARAMETER`, ...).
    pub keyword: String,
    /// The bracketed arguments in order.
    pub args: Vec<WktValue>,
}

/// One argument of a [`WktNode`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WktValue {
    /// A quoted string, unescaped.
    Text(String),
    /// A number.
    Number(f64),
    /// A bare word such as `EAST` in `AXIS["X",EAST]`.
    Word(String),
    /// A nested node.
    Node(WktNode),
}

impl WktNode {
    /// The first quoted-string argument (the name of a CRS, datum, parameter ...).
    pub fn name(&self) -> Option<&str> {
        self.args.iter().find_map(|a| match a {
            WktValue::Text(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The `n`-th numeric argument (0-based, counting numbers only).
    pub fn number(&self, n: usize) -> Option<f64> {
        self.args
            .iter()
            .filter_map(|a| match a {
                WktValue::Number(v) => Some(*v),
                _ => None,
            })
            .nth(n)
    }

    /// Direct child nodes.
    pub fn children(&self) -> impl Iterator<Item = &WktNode> {
        self.args.iter().filter_map(|a| match a {
            WktValue::Node(n) => Some(n),
            _ => None,
        })
    }

    /// The first direct child whose keyword is one of `keywords` (case-insensitive).
    pub fn child(&self, keywords: &[&str]) -> Option<&WktNode> {
        self.children()
            .find(|c| keywords.iter().any(|k| c.keyword.eq_ignore_ascii_case(k)))
    }

    /// All direct children with the keyword `keyword` (case-insensitive).
    pub fn children_named<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a WktNode> {
        self.children()
            .filter(move |c| c.keyword.eq_ignore_ascii_case(keyword))
    }

    /// The `AUTHORITY["EPSG","nnnn"]` directly on this node, if any.
    pub fn epsg_authority(&self) -> Option<u32> {
        let auth = self.child(&["AUTHORITY"])?;
        let mut texts = auth.args.iter().filter_map(|a| match a {
            WktValue::Text(s) => Some(s.as_str()),
            _ => None,
        });
        if !texts.next()?.eq_ignore_ascii_case("EPSG") {
            return None;
        }
        match texts.next() {
            Some(code) => code.trim().parse().ok(),
            // Some writers put the code unquoted: AUTHORITY["EPSG",4326].
            None => auth
                .number(0)
                .filter(|v| v.fract() == 0.0 && *v > 0.0 && *v < f64::from(u32::MAX))
                .map(|v| v as u32),
        }
    }
}

/// Parses a whole WKT1 text into its root node.
pub(crate) fn parse(text: &str) -> Result<WktNode, CrsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    reader.skip_ws();
    if reader.pos == reader.bytes.len() {
        return Err(malformed("the text is empty", None));
    }
    let root = reader.node()?;
    reader.skip_ws();
    if reader.pos != reader.bytes.len() {
        return Err(malformed(
            "unexpected text after the closing bracket of the root node (unbalanced brackets?)",
            Some(reader.pos),
        ));
    }
    Ok(root)
}

fn malformed(reason: &str, offset: Option<usize>) -> CrsError {
    CrsError::MalformedWkt {
        reason: reason.to_string(),
        offset,
    }
}

/// Nesting deeper than any real CRS (compound CRS reach ~6) is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        // Only ASCII bytes were consumed, so this slice is valid UTF-8.
        std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default()
    }

    fn node(&mut self) -> Result<WktNode, CrsError> {
        let start = self.pos;
        let keyword = self.word().to_string();
        if keyword.is_empty() || !keyword.as_bytes()[0].is_ascii_alphabetic() {
            return Err(malformed(
                "expected a keyword such as PROJCS or GEOGCS",
                Some(start),
            ));
        }
        self.skip_ws();
        let close = match self.peek() {
            Some(b'[') => b']',
            Some(b'(') => b')',
            _ => {
                return Err(malformed(
                    &format!("expected '[' after keyword {keyword}"),
                    Some(self.pos),
                ))
            }
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(malformed("nesting is too deep", Some(self.pos)));
        }
        self.pos += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) && args.is_empty() {
                self.pos += 1;
                break;
            }
            args.push(self.value(&keyword)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    break;
                }
                Some(b']') | Some(b')') => {
                    return Err(malformed(
                        &format!(
                            "mismatched closing bracket in {keyword}: expected '{}'",
                            close as char
                        ),
                        Some(self.pos),
                    ))
                }
                Some(_) => {
                    return Err(malformed(
                        &format!("expected ',' or '{}' in {keyword}", close as char),
                        Some(self.pos),
                    ))
                }
                None => {
                    return Err(malformed(
                        &format!(
                            "unbalanced brackets: {keyword} opened at byte {start} is never closed"
                        ),
                        Some(self.pos),
                    ))
                }
            }
        }
        self.depth -= 1;
        Ok(WktNode { keyword, args })
    }

    fn value(&mut self, parent: &str) -> Result<WktValue, CrsError> {
        match self.peek() {
            Some(b'"') => self.text().map(WktValue::Text),
            Some(b) if b == b'-' || b == b'+' || b == b'.' || b.is_ascii_digit() => self.number(),
            Some(b) if b.is_ascii_alphabetic() => {
                // A word followed by a bracket is a nested node, otherwise a bare word.
                let save = self.pos;
                let word = self.word().to_string();
                self.skip_ws();
                if matches!(self.peek(), Some(b'[') | Some(b'(')) {
                    self.pos = save;
                    self.node().map(WktValue::Node)
                } else {
                    Ok(WktValue::Word(word))
                }
            }
            Some(_) => Err(malformed(
                &format!("unexpected character in {parent}"),
                Some(self.pos),
            )),
            None => Err(malformed(
                &format!("unbalanced brackets: the text ends inside {parent}"),
                Some(self.pos),
            )),
        }
    }

    fn text(&mut self) -> Result<String, CrsError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') if self.bytes.get(self.pos + 1) == Some(&b'"') => {
                    out.push(b'"');
                    self.pos += 2;
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
                None => return Err(malformed("unterminated quoted string", Some(start))),
            }
        }
        // The input is a &str and we split only at ASCII quotes, so this cannot fail.
        String::from_utf8(out).map_err(|_| malformed("invalid UTF-8 in a string", Some(start)))
    }

    fn number(&mut self) -> Result<WktValue, CrsError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        let raw = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        raw.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(WktValue::Number)
            .ok_or_else(|| malformed(&format!("invalid number {raw:?}"), Some(start)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on bad input; that is their job.
mod tests {
    use super::*;

    #[test]
    fn parses_nested_esri_wkt() {
        let root = parse(r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#).unwrap();
        assert_eq!(root.keyword, "GEOGCS");
        assert_eq!(root.name(), Some("GCS_WGS_1984"));
        let sph = root
            .child(&["DATUM"])
            .unwrap()
            .child(&["SPHEROID"])
            .unwrap();
        assert_eq!(sph.number(0), Some(6378137.0));
        assert_eq!(sph.number(1), Some(298.257223563));
    }

    #[test]
    fn reads_authority_words_escapes_and_parentheses() {
        let root = parse(
            "\u{feff} PROJCS ( \"a \"\"b\"\"\" , AXIS[\"X\", EAST],\n AUTHORITY[\"EPSG\",\"3857\"] )",
        )
        .unwrap();
        assert_eq!(root.name(), Some("a \"b\""));
        assert_eq!(root.epsg_authority(), Some(3857));
        let axis = root.child(&["axis"]).unwrap();
        assert_eq!(axis.args[1], WktValue::Word("EAST".into()));
    }

    #[test]
    fn rejects_unbalanced_and_garbage() {
        for bad in [
            "",
            "GEOGCS[\"x\",DATUM[\"d\"]",
            "GEOGCS[\"x\"]]",
            "GEOGCS[\"x\")",
            "GEOGCS[\"x",
            "GEOGCS \"x\"",
            "GEOGCS[\"x\",1.2.3]",
            "[1]",
        ] {
            match parse(bad) {
                Err(CrsError::MalformedWkt { .. }) => {}
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_absurd_nesting() {
        let deep = "A[".repeat(200) + &"]".repeat(200);
        assert!(matches!(parse(&deep), Err(CrsError::MalformedWkt { .. })));
    }
}
