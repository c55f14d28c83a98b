//! The offline mock greets by the conversation's simulated time of day: the
//! real binary, started at 02:00 and at 10:50 UTC, in every language with a
//! bank, with the part-of-day boundaries a speaker of that language expects.

use crate::common::{Env, read_json};

/// A language, its call roles, and for each part of the day (morning,
/// afternoon, evening or night) the hour it begins and its greeting.
struct Lang {
    code: &'static str,
    roles: [&'static str; 2],
    begins: [u32; 3],
    hello: [&'static str; 3],
}

const LANGS: [Lang; 5] = [
    Lang {
        code: "es-ES",
        roles: ["agente", "cliente"],
        begins: [6, 12, 21],
        hello: ["buenos días", "buenas tardes", "buenas noches"],
    },
    Lang {
        code: "en",
        roles: ["agent", "customer"],
        begins: [5, 12, 18],
        hello: ["good morning", "good afternoon", "good evening"],
    },
    Lang {
        code: "pt-PT",
        roles: ["atendente", "cliente"],
        begins: [6, 12, 20],
        hello: ["bom dia", "boa tarde", "boa noite"],
    },
    Lang {
        code: "pt-BR",
        roles: ["atendente", "cliente"],
        begins: [6, 12, 18],
        hello: ["bom dia", "boa tarde", "boa noite"],
    },
    Lang {
        code: "fr-FR",
        roles: ["conseiller", "client"],
        begins: [6, 12, 18],
        hello: ["bonjour", "bonjour", "bonsoir"],
    },
];

/// `text`'s words, lowercased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `phrase`'s words come one after the other in `text`.
fn has_phrase(text: &str, phrase: &str) -> bool {
    let (text, phrase) = (words(text), words(phrase));
    text.windows(phrase.len()).any(|w| w == phrase.as_slice())
}

/// The part of the day (0 morning, 1 afternoon, 2 evening or night) at
/// `second` after midnight.
fn part(lang: &Lang, second: u32) -> usize {
    let [m, a, e] = lang.begins.map(|h| h * 3600);
    if second < m || second >= e {
        2
    } else if second >= a {
        1
    } else {
        0
    }
}

/// Seconds after midnight of an RFC 3339 UTC timestamp ("…THH:MM:SS…Z").
fn second_of_day(ts: &str) -> u32 {
    assert!(ts.ends_with('Z'), "{ts}");
    let hms: Vec<u32> = ts[11..19].split(':').map(|x| x.parse().unwrap()).collect();
    hms[0] * 3600 + hms[1] * 60 + hms[2]
}

fn check(lang: &Lang, start: &str) {
    let env = Env::new();
    let [agent, client] = lang.roles;
    env.write(
        "prompts/day.md",
        format!(
            "+++\ntitle = \"t\"\nlanguage = \"{}\"\nroles = [\"{agent}\", \"{client}\"]\nturns = 8\n+++\nTelco.\n\n## Scenarios\n\n### billing: Billing\nThe bill is too high.\n",
            lang.code
        ),
    );
    env.run(&[
        "generate",
        "--prompt",
        "day",
        "--total",
        "40",
        "--batch-size",
        "40",
        "--seed",
        "3",
        "--start",
        start,
        "--json",
    ])
    .expect(0);
    let files = env.conversation_files();
    assert_eq!(files.len(), 40);
    let (mut judged, mut greeted) = (0, 0);
    for f in &files {
        let conv = read_json(f);
        let first = conv["turns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["role"] == agent)
            .unwrap_or_else(|| panic!("{}: no {agent} turn", f.display()));
        let text = first["text"].as_str().unwrap();
        let at = second_of_day(conv["turns"][0]["timestamp"].as_str().unwrap());
        // The call starts a few seconds before its first turn: one that
        // straddles a boundary is not judged.
        let now = part(lang, at);
        if part(lang, at.saturating_sub(10)) != now {
            continue;
        }
        judged += 1;
        for hello in lang.hello {
            if hello != lang.hello[now] {
                assert!(
                    !has_phrase(text, hello),
                    "{} from {start}: at {}s past midnight (part {now}) the {agent} says {text:?}",
                    lang.code,
                    at,
                );
            }
        }
        greeted += usize::from(has_phrase(text, lang.hello[now]));
    }
    assert!(judged >= 35, "{}: only {judged} judged", lang.code);
    // Some openings greet without naming the part of the day.
    assert!(
        greeted * 2 >= judged,
        "{} from {start}: {greeted} of {judged} greet by the time of day",
        lang.code
    );
}

#[test]
fn no_morning_greeting_in_the_night_from_two_in_the_morning() {
    for lang in &LANGS {
        check(lang, "2026-03-02T02:00:00Z");
    }
}

#[test]
fn no_night_greeting_in_the_morning_from_ten_fifty() {
    for lang in &LANGS {
        check(lang, "2026-03-02T10:50:00Z");
    }
}
