//! How varied a set of conversations is, as the issue measures it: words are
//! lower-cased runs of letters and digits; the mean pairwise Jaccard of the
//! conversations' 3-word shingle sets, and the pooled distinct-2 (distinct
//! word bigrams over all bigrams of every conversation).

use std::collections::HashSet;

/// The words of `text`, lower-cased, split on anything not alphanumeric.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The mean over every pair of conversations of |A ∩ B| / |A ∪ B|, A and B
/// their sets of 3-word shingles (0 for fewer than two conversations).
pub fn mean_pairwise_jaccard(convs: &[Vec<String>]) -> f64 {
    let sets: Vec<HashSet<&[String]>> = convs.iter().map(|w| w.windows(3).collect()).collect();
    let (mut sum, mut pairs) = (0.0, 0u32);
    for (i, a) in sets.iter().enumerate() {
        for b in &sets[i + 1..] {
            let union = a.union(b).count();
            if union > 0 {
                sum += a.intersection(b).count() as f64 / union as f64;
            }
            pairs += 1;
        }
    }
    if pairs == 0 {
        0.0
    } else {
        sum / f64::from(pairs)
    }
}

/// Distinct word bigrams over all word bigrams, pooled over `convs` (0 when
/// there are none).
pub fn distinct2(convs: &[Vec<String>]) -> f64 {
    let all: Vec<&[String]> = convs.iter().flat_map(|w| w.windows(2)).collect();
    let distinct: HashSet<&[String]> = all.iter().copied().collect();
    if all.is_empty() {
        0.0
    } else {
        distinct.len() as f64 / all.len() as f64
    }
}

#[test]
fn the_measures_tell_repeated_text_from_varied_text() {
    let same = vec![words("Bom dia, fala a Marta da Telvento."); 3];
    assert_eq!(mean_pairwise_jaccard(&same), 1.0);
    assert!((distinct2(&same) - 1.0 / 3.0).abs() < 1e-9);
    let varied = vec![
        words("Bonjour, Camille à votre écoute."),
        words("Good morning, how can I help?"),
    ];
    assert_eq!(mean_pairwise_jaccard(&varied), 0.0);
    assert_eq!(distinct2(&varied), 1.0);
    // Half the shingles shared: {a b c, b c d} and {a b c, b c e}: 1/3.
    let half = vec![words("A b c d"), words("a B c e")];
    assert!((mean_pairwise_jaccard(&half) - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        words("L'opposition, c'est fait!"),
        ["l", "opposition", "c", "est", "fait"]
    );
}
