//! Each messaging app's documented auto-download defaults per network, as
//! data (`app_defaults.toml`, compiled in): what the app does when its
//! settings file holds no value for a network. The settings readers fill a
//! missing value from here and mark it `app_default`; the reasoning states
//! such a value as an assumption in the app's own words.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The table, as written.
pub const TOML: &str = include_str!("app_defaults.toml");

/// One app's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppDefaults {
    /// The app's name in prose.
    pub name: String,
    /// The defaults in words, for a finding.
    pub words: String,
    /// Where they were read.
    pub source: String,
    /// Media classes on by default, per network (apps with per-class lists).
    #[serde(default)]
    pub wifi: Vec<String>,
    /// On mobile data.
    #[serde(default)]
    pub cellular: Vec<String>,
    /// When roaming.
    #[serde(default)]
    pub roaming: Vec<String>,
    /// Preset names per network (Telegram).
    #[serde(default)]
    pub wifi_preset: Option<String>,
    /// On mobile data.
    #[serde(default)]
    pub cellular_preset: Option<String>,
    /// When roaming.
    #[serde(default)]
    pub roaming_preset: Option<String>,
    /// Preset strings by name (Telegram).
    #[serde(default)]
    pub presets: BTreeMap<String, String>,
}

impl AppDefaults {
    /// The classes on by default for `network` (`wifi`, `cellular`, `roaming`).
    pub fn classes(&self, network: &str) -> &[String] {
        match network {
            "wifi" => &self.wifi,
            "cellular" => &self.cellular,
            _ => &self.roaming,
        }
    }

    /// The default preset's name and string for `network` (Telegram).
    pub fn preset(&self, network: &str) -> Option<(&str, &str)> {
        let name = match network {
            "wifi" => self.wifi_preset.as_deref(),
            "cellular" => self.cellular_preset.as_deref(),
            _ => self.roaming_preset.as_deref(),
        }?;
        self.presets.get(name).map(|s| (name, s.as_str()))
    }
}

static TABLE: LazyLock<BTreeMap<String, AppDefaults>> = LazyLock::new(|| {
    toml::from_str(TOML).unwrap_or_else(|e| panic!("app_defaults.toml (compiled in) is invalid: {e}"))
});

/// The defaults of `app` (`whatsapp`, `signal`, `telegram`).
pub fn of(app: &str) -> Option<&'static AppDefaults> {
    TABLE.get(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_says_what_the_sources_say() {
        let wa = of("whatsapp").expect("whatsapp");
        assert_eq!(wa.classes("wifi").len(), 4);
        assert_eq!(wa.classes("cellular"), ["image"]);
        assert!(wa.classes("roaming").is_empty());
        let signal = of("signal").expect("signal");
        assert_eq!(signal.classes("cellular"), ["image", "audio"]);
        let tg = of("telegram").expect("telegram");
        assert_eq!(tg.preset("cellular").map(|p| p.0), Some("medium"));
        assert_eq!(tg.preset("roaming"), Some(("low", "1_1_1_1_1048576_512000_512000_524288_0_0_1_1_50_0")));
        assert!(of("unknown").is_none());
        for d in TABLE.values() {
            assert!(!d.words.contains("data:"), "the report refuses the text data: ({})", d.words);
        }
    }
}
