//! Project configuration: `infill.toml`, or a data folder read with defaults.
//!
//! ```toml
//! [workspace]
//! crs = "EPSG:4549"          # working CRS; default: the layers' projected CRS
//! encoding = "GBK"           # default text encoding for every shapefile
//!
//! [layers.buildings]
//! path = "房屋.shp"           # relative to this file
//! crs = "EPSG:4549"          # overrides the .prj
//! encoding = "GBK"           # overrides .cpg and the DBF language byte
//! [layers.buildings.fields]  # semantic field = source field
//! floors = "CS"
//! build_year = "JZND"
//! [layers.buildings.values.owner_type]   # raw value = meaning
//! "机关" = "government"
//! "区属企业" = "state_enterprise"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::crs::Crs;
use crate::io::{Format, LayerSpec};
use crate::model::fields::Mapped;
use crate::model::{Role, Semantic};

/// A configuration error, naming the file and the key.
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown/mistyped key (the message names the key and line).
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with key and position.
        message: String,
    },
    /// A key whose value is not acceptable.
    #[error("{path}: `{key}`: {message}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The full key, e.g. `layers.buildings.fields.floors`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A folder with no layer infill recognises.
    #[error("{path}: no layers found: expected files named after their role (roads, parcels, buildings, neighbourhoods, idle, facilities, or 道路, 地块, 房屋/建筑, 小区, 闲置, 设施) as .shp or .geojson, or an .osm.pbf extract")]
    NothingFound {
        /// The folder.
        path: PathBuf,
    },
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    workspace: WorkspaceSection,
    #[serde(default)]
    layers: BTreeMap<String, LayerSection>,
    /// Analysis settings merged over the shipped defaults (see `analysis::standards`).
    analysis: Option<toml::Table>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct WorkspaceSection {
    crs: Option<String>,
    encoding: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct LayerSection {
    path: PathBuf,
    crs: Option<String>,
    encoding: Option<String>,
    layer: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

/// A resolved project: which file gives each role, with its overrides.
#[derive(Clone, Debug)]
pub struct Config {
    /// The config file, or the folder that was scanned.
    pub source: PathBuf,
    /// The working CRS, when the config fixes it.
    pub working_crs: Option<Crs>,
    /// One spec per role present.
    pub layers: Vec<LayerSpec>,
    /// Notes about how the layers were found (for reports).
    pub notes: Vec<String>,
    /// The `[analysis]` table: overrides of the analysis defaults, checked when an analysis runs.
    pub analysis: Option<toml::Table>,
}

impl Config {
    /// Load from a path: an `infill.toml` (any `.toml`), a folder (its `infill.toml` if it has
    /// one, else its files by name), or a single data file (an `.osm.pbf` gives every role).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        if path.is_dir() {
            let toml = path.join("infill.toml");
            if toml.is_file() {
                return Config::from_toml(&toml);
            }
            return Config::from_dir(path);
        }
        if Format::of(path) == Format::OsmPbf {
            return Ok(Config {
                source: path.to_path_buf(),
                working_crs: None,
                layers: Role::ALL.iter().map(|r| LayerSpec::new(*r, path)).collect(),
                notes: vec![format!(
                    "every role read from the OSM extract {}",
                    path.display()
                )],
                analysis: None,
            });
        }
        Config::from_toml(path)
    }

    /// Parse an `infill.toml`.
    pub fn from_toml(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml_str(&text, path)
    }

    /// Parse config text; `path` locates relative layer paths and names the file in errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let key_error = |key: String, message: String| ConfigError::Key {
            path: path.to_path_buf(),
            key,
            message,
        };
        let working_crs = file
            .workspace
            .crs
            .as_deref()
            .map(|c| Crs::parse(c).map_err(|e| key_error("workspace.crs".into(), e.to_string())))
            .transpose()?;
        let mut layers = Vec::new();
        for (name, section) in file.layers {
            let role = Role::parse(&name).ok_or_else(|| {
                key_error(
                    format!("layers.{name}"),
                    format!(
                        "unknown layer role; roles are {}",
                        Role::ALL.map(|r| r.name()).join(", ")
                    ),
                )
            })?;
            let key = |k: &str| format!("layers.{name}.{k}");
            let mut spec = LayerSpec::new(role, base.join(&section.path));
            spec.config_path = Some(path.to_path_buf());
            spec.layer = section.layer;
            spec.crs = section
                .crs
                .as_deref()
                .map(|c| Crs::parse(c).map_err(|e| key_error(key("crs"), e.to_string())))
                .transpose()?;
            spec.encoding = section.encoding.or(file.workspace.encoding.clone());
            if let Some(label) = &spec.encoding {
                if crate::io::encoding::from_label(label).is_none() {
                    return Err(key_error(
                        key("encoding"),
                        format!(
                            "unknown encoding {label:?}; use e.g. GBK, 936, GB18030, UTF-8, 1252"
                        ),
                    ));
                }
            }
            for (semantic, field) in section.fields {
                let s = Semantic::parse(&semantic).ok_or_else(|| {
                    key_error(
                        key(&format!("fields.{semantic}")),
                        format!(
                            "unknown semantic field; known: {}",
                            Semantic::ALL.map(|s| s.key()).join(", ")
                        ),
                    )
                })?;
                spec.fields.insert(s, field);
            }
            for (semantic, map) in section.values {
                let k = key(&format!("values.{semantic}"));
                let s = Semantic::parse(&semantic)
                    .ok_or_else(|| key_error(k.clone(), "unknown semantic field".into()))?;
                let accepted = Mapped::accepted(s);
                if accepted.is_empty() {
                    return Err(key_error(
                        k,
                        format!("{semantic} is read as text or number; it takes no value map"),
                    ));
                }
                let mut values = HashMap::new();
                for (raw, meaning) in map {
                    let text = match &meaning {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Boolean(b) => b.to_string(),
                        other => other.to_string(),
                    };
                    let mapped = Mapped::parse(s, &text).ok_or_else(|| {
                        key_error(
                            format!("{k}.{raw:?}"),
                            format!("{text:?} is not one of {}", accepted.join(", ")),
                        )
                    })?;
                    values.insert(raw.trim().to_string(), mapped);
                }
                spec.values.insert(s, values);
            }
            layers.push(spec);
        }
        Ok(Config {
            source: path.to_path_buf(),
            working_crs,
            layers,
            notes: Vec::new(),
            analysis: file.analysis,
        })
    }

    /// Find layers in a folder by file name.
    pub fn from_dir(dir: &Path) -> Result<Config, ConfigError> {
        let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut layers = Vec::new();
        let mut notes = Vec::new();
        let mut twins: Vec<String> = Vec::new();
        for role in Role::ALL {
            let mut found: Vec<&PathBuf> = files
                .iter()
                .filter(|p| {
                    let stem = p
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .map(|s| s.to_lowercase())
                        .unwrap_or_default();
                    role.file_stems().iter().any(|s| *s == stem)
                        && matches!(Format::of(p), Format::Shapefile | Format::GeoJson)
                })
                .collect();
            // A shapefile and its GeoJSON twin: the shapefile is the bureau's original.
            found.sort_by_key(|p| Format::of(p) != Format::Shapefile);
            if let Some(first) = found.first() {
                if found.len() > 1 {
                    twins.extend(found[1..].iter().map(|p| {
                        p.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    }));
                }
                layers.push(LayerSpec::new(role, (*first).clone()));
            }
        }
        if !twins.is_empty() {
            notes.push(format!(
                "shapefiles preferred; also present and not read: {}",
                twins.join(", ")
            ));
        }
        let pbf = files.iter().find(|p| Format::of(p) == Format::OsmPbf);
        match (layers.is_empty(), pbf) {
            (true, Some(pbf)) => {
                notes.push(format!("every role read from the OSM extract {}", pbf.display()));
                layers = Role::ALL.iter().map(|r| LayerSpec::new(*r, pbf)).collect();
            }
            (true, None) => {
                return Err(ConfigError::NothingFound {
                    path: dir.to_path_buf(),
                })
            }
            (false, Some(pbf)) => notes.push(format!(
                "{} ignored: the folder's layer files are used (pass the .osm.pbf itself to read it)",
                pbf.display()
            )),
            (false, None) => {}
        }
        // Gates are optional: without them a neighbourhood starts where the network enters it.
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Gates) {
            if !layers.iter().any(|l| l.role == role) {
                notes.push(format!("no {role} layer in {}", dir.display()));
            }
        }
        Ok(Config {
            source: dir.to_path_buf(),
            working_crs: None,
            layers,
            notes,
            analysis: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str(text, Path::new("/proj/infill.toml"))
    }

    #[test]
    fn a_full_layer_section() {
        let c = parse(
            r#"
            [layers.buildings]
            path = "房屋.shp"
            encoding = "936"
            [layers.buildings.fields]
            floors = "CS"
            [layers.buildings.values.owner_type]
            "区属企业" = "state_enterprise"
            [layers.buildings.values.vacant]
            "空" = true
            "#,
        )
        .unwrap();
        let b = &c.layers[0];
        assert_eq!(b.role, Role::Buildings);
        assert_eq!(b.path, Path::new("/proj/房屋.shp"));
        assert_eq!(b.fields[&Semantic::Floors], "CS");
        assert_eq!(
            b.values[&Semantic::OwnerType]["区属企业"],
            Mapped::Owner(crate::model::OwnerType::StateEnterprise)
        );
        assert_eq!(b.values[&Semantic::Vacant]["空"], Mapped::Flag(true));
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let cases = [
            ("[layers.bildings]\npath = \"a.shp\"", "layers.bildings"),
            ("[layers.buildings]\npath = \"a.shp\"\n[layers.buildings.fields]\nflors = \"CS\"", "layers.buildings.fields.flors"),
            ("[layers.buildings]\npath = \"a.shp\"\n[layers.buildings.values.owner_type]\n\"机关\" = \"goverment\"", "layers.buildings.values.owner_type"),
            ("[layers.buildings]\npath = \"a.shp\"\nencoding = \"EBCDIC-XX\"", "layers.buildings.encoding"),
            ("[layers.buildings]\npth = \"a.shp\"", "pth"),
            ("[workspace]\ncrs = \"EPSG:banana\"", "workspace.crs"),
        ];
        for (text, key) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains("/proj/infill.toml"), "{e}");
            assert!(e.contains(key), "{key} not in {e}");
        }
    }
}
