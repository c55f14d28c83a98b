//! `--roles`: the speaker labels of a source mapped to convgen roles.

/// `--roles LABEL=role,…`: speaker labels of the source mapped to roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap {
    pairs: Vec<(String, String)>,
}

impl RoleMap {
    /// Parses `LABEL=role,LABEL=role`; the error names the bad item.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((label, role)) = item.split_once('=') else {
                return Err(format!("`{item}` is not LABEL=role"));
            };
            let (label, role) = (label.trim(), role.trim());
            if label.is_empty() || role.is_empty() {
                return Err(format!("`{item}` is not LABEL=role"));
            }
            if pairs.iter().any(|(l, _)| l == label) {
                return Err(format!("the label `{label}` is mapped twice"));
            }
            pairs.push((label.to_string(), role.to_string()));
        }
        if pairs.is_empty() {
            return Err("it maps no label (give LABEL=role,…)".into());
        }
        Ok(Self { pairs })
    }

    /// The role a label maps to.
    pub fn role(&self, label: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, r)| r.as_str())
    }

    /// The roles, in the order the mapping gives them (once each).
    pub fn roles(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, r) in &self.pairs {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    /// The labels, in the order given.
    pub fn labels(&self) -> Vec<&str> {
        self.pairs.iter().map(|(l, _)| l.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_maps_parse_and_refuse_bad_items() {
        let m = RoleMap::parse("AGENTE=agent, CLIENTE=client").unwrap();
        assert_eq!(m.roles(), vec!["agent", "client"]);
        assert!(RoleMap::parse("AGENTE").unwrap_err().contains("`AGENTE`"));
        assert!(RoleMap::parse("A=x,A=y").unwrap_err().contains("twice"));
        assert!(RoleMap::parse("").is_err());
    }
}
