//! The view in the URL: `#scenario=ping-pong&cpu=pentium&small=1&at=12345`
//! reopens the same scenario, CPU and position. Nothing is sent anywhere.

use wasm_bridge::CpuChoice;

/// What a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub scenario: String,
    pub cpu: CpuChoice,
    pub small_spaces: bool,
    /// User instructions retired.
    pub position: u64,
}

impl Default for Place {
    fn default() -> Self {
        Self { scenario: "ping-pong".into(), cpu: CpuChoice::I486, small_spaces: false, position: 0 }
    }
}

/// Read a hash; unknown or malformed parts are reported, the rest used.
pub fn parse(hash: &str) -> (Place, Vec<String>) {
    let mut place = Place::default();
    let mut problems = Vec::new();
    for pair in hash.trim_start_matches('#').split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "scenario" => place.scenario = value.to_string(),
            "cpu" => match CpuChoice::parse(value) {
                Ok(cpu) => place.cpu = cpu,
                Err(message) => problems.push(message),
            },
            "small" => place.small_spaces = value == "1",
            "at" => match value.parse() {
                Ok(position) => place.position = position,
                Err(_) => problems.push(format!("`at={value}` is not a position (a number of instructions)")),
            },
            other => problems.push(format!("unknown part `{other}` in the address")),
        }
    }
    (place, problems)
}

/// The hash for a place.
pub fn format(place: &Place) -> String {
    format!(
        "#scenario={}&cpu={}&small={}&at={}",
        place.scenario,
        place.cpu.key(),
        if place.small_spaces { 1 } else { 0 },
        place.position
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_survives_the_url() {
        let place = Place { scenario: "hello".into(), cpu: CpuChoice::Pentium, small_spaces: true, position: 42 };
        assert_eq!(parse(&format(&place)), (place, vec![]));
        let (place, problems) = parse("#cpu=z80&at=x&frob=1");
        assert_eq!(place.cpu, CpuChoice::I486);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
