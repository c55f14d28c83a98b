//! Did-you-mean hints: the known name closest to a typo, for front-matter
//! keys, `convgen.toml` keys and hook names alike (one rule, on `strsim`).

/// The name in `known` closest to `word` when it is near enough to be a typo
/// (at most two edits, or a third of the name's length for long names), and
/// not `word` itself; compared without case, so `Roles` finds `roles`.
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    known
        .iter()
        .filter(|k| **k != word)
        .map(|k| (strsim::levenshtein(&lower, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name() {
        let known = ["language", "roles", "turns", "timestamps"];
        assert_eq!(closest("langauge", &known), Some("language"));
        assert_eq!(closest("Roles", &known), Some("roles"));
        assert_eq!(closest("timestamp", &known), Some("timestamps"));
        assert_eq!(closest("colour", &known), None);
        assert_eq!(closest("turns", &known), None, "an exact name is no typo");
    }
}
