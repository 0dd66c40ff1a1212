//! Query parameters: one extractor that keeps them as given, refuses unknown or repeated ones,
//! and parses values with errors that name the parameter.

use std::str::FromStr;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use super::error::ApiError;

/// The query parameters of a request, in order, percent-decoded.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::InvalidParameter(format!("bad query string: {e}")))?;
        Ok(Params(pairs))
    }
}

impl Params {
    /// Parameters from pairs (for tests and internal calls).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// Refuse any parameter not in `allowed` and any given twice.
    pub fn allow_only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        for (i, (k, _)) in self.0.iter().enumerate() {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::InvalidParameter(format!(
                    "unknown parameter {k:?}; this operation takes {}",
                    if allowed.is_empty() {
                        "no parameters".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
            if self.0[..i].iter().any(|(p, _)| p == k) {
                return Err(ApiError::InvalidParameter(format!(
                    "parameter {k:?} is given more than once"
                )));
            }
        }
        Ok(())
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` parsed as `T`, if given; a value that does not parse is a 400 naming
    /// the parameter and what was expected.
    pub fn parse<T: FromStr>(&self, name: &str, expected: &str) -> Result<Option<T>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<T>()
                .map(Some)
                .map_err(|_| ApiError::param(name, format!("{v:?} is not {expected}"))),
        }
    }

    /// A boolean flag: `true`/`false`/`1`/`0`/`yes`/`no`.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(None),
            Some(v) => match v.as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(ApiError::param(name, format!("{v:?} is not true or false"))),
            },
        }
    }

    /// Every parameter as given, for building `next`/`prev` links.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// `limit` and `offset` of a page: limit defaults to `default`, values above `max` are clamped,
/// below 1 refused; offset defaults to 0.
pub fn page(params: &Params, default: usize, max: usize) -> Result<(usize, usize), ApiError> {
    let limit = params
        .parse::<u64>("limit", "a whole number from 1")?
        .map(|l| {
            if l == 0 {
                Err(ApiError::param("limit", "must be at least 1"))
            } else {
                Ok(l.min(max as u64) as usize)
            }
        })
        .transpose()?
        .unwrap_or(default);
    let offset = params
        .parse::<u64>("offset", "a whole number from 0")?
        .map(|o| usize::try_from(o).unwrap_or(usize::MAX))
        .unwrap_or(0);
    Ok((limit, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        assert!(p(&[("limit", "1")]).allow_only(&["limit"]).is_ok());
        let e = p(&[("limt", "1")]).allow_only(&["limit"]).unwrap_err();
        assert!(e.to_string().contains("limt"), "{e}");
        let e = p(&[("limit", "1"), ("limit", "2")])
            .allow_only(&["limit"])
            .unwrap_err();
        assert!(e.to_string().contains("more than once"), "{e}");
    }

    #[test]
    fn page_defaults_clamps_and_refuses() {
        assert_eq!(page(&p(&[]), 10, 10_000).unwrap(), (10, 0));
        assert_eq!(
            page(&p(&[("limit", "50000"), ("offset", "7")]), 10, 10_000).unwrap(),
            (10_000, 7)
        );
        for bad in ["0", "-1", "ten", "1.5", ""] {
            assert!(page(&p(&[("limit", bad)]), 10, 10_000).is_err(), "{bad}");
        }
        assert!(page(&p(&[("offset", "-3")]), 10, 10_000).is_err());
    }
}
