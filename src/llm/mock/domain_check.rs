//! The load-time check that every domain finds phrases of its own: for each
//! topic a domain can reach, the topic's tagged pools hold at least one
//! entry fitting that domain (so no insurance call borrows a router or a
//! bank card), and so do the generic fillers.

use super::bank::{ANY, Bank, Tagged, TaggedQa};
use super::classify::{Domain, Topic};
use super::writer::fits_tag;

/// The topic's key in the banks' topic-keyed tables.
fn topic_key(topic: Topic) -> &'static str {
    match topic {
        Topic::Billing => "billing",
        Topic::Technical => "technical",
        Topic::Cancel => "cancel",
        Topic::Plan => "plan",
        Topic::Order => "order",
        Topic::Account => "account",
        Topic::General => "general",
        Topic::Card => "card",
        Topic::Transfer => "transfer",
        Topic::Claim => "claim",
    }
}

fn has(tags: impl IntoIterator<Item = u8>, domain: Domain) -> bool {
    tags.into_iter().any(|t| fits_tag(t, ANY, domain))
}

fn tags(pool: &[Tagged]) -> impl Iterator<Item = u8> + '_ {
    pool.iter().map(|e| e.fits.0)
}

fn qa_tags(pool: &[TaggedQa]) -> impl Iterator<Item = u8> + '_ {
    pool.iter().map(|e| e.fits.0)
}

/// `Err` naming the file, the pool and the domain left without a phrase.
pub fn check_domains(file: &str, bank: &Bank) -> Result<(), String> {
    let call = &bank.call;
    for domain in Domain::ALL {
        let d = domain.name();
        if !has(qa_tags(&call.filler_qa), domain) {
            return Err(format!("{file}: call.filler_qa: no entry fits {d}"));
        }
        for topic in Topic::ALL {
            if !topic.reachable_in(domain) {
                continue;
            }
            let t = topic_key(topic);
            let pools = [
                ("problem", has(tags(call.problem.get(topic)), domain)),
                ("explain", has(tags(call.explain.get(topic)), domain)),
                ("resolve", has(tags(call.resolve.get(topic)), domain)),
                ("topic_qa", has(qa_tags(call.topic_qa.get(topic)), domain)),
            ];
            if let Some((pool, _)) = pools.iter().find(|(_, ok)| !ok) {
                return Err(format!(
                    "{file}: call.{pool}.{t}: no entry fits {d}, which can reach the topic {t}"
                ));
            }
        }
    }
    Ok(())
}
