//! Which entries of a pool a conversation may say: `fits = "s1 insurance"`
//! in a bank names the sub-types of its topic and the domains a phrase is
//! for, kept as a bit set.

use serde::Deserialize;

use super::classify::Domain;

/// Which sub-types of a topic an entry fits (the low bits) and in which
/// domains (the high bits; see [`super::writer::fits_tag`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Fits(pub u8);

/// Fits every sub-type.
pub const ANY: u8 = 0x0F;
/// The domain bits: an entry naming none fits every domain.
pub const TELECOM: u8 = 0x10;
pub const BANK: u8 = 0x20;
pub const SHOP: u8 = 0x40;
pub const INSURANCE: u8 = 0x80;
pub const DOMAINS: u8 = 0xF0;

/// The domain bit of `domain`.
pub fn domain_bit(domain: Domain) -> u8 {
    match domain {
        Domain::Telecom => TELECOM,
        Domain::Bank => BANK,
        Domain::Shop => SHOP,
        Domain::Insurance => INSURANCE,
    }
}

impl Default for Fits {
    fn default() -> Self {
        Fits(ANY)
    }
}

impl TryFrom<String> for Fits {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let mut bits = 0;
        for word in s.split_whitespace() {
            bits |= match word {
                "s0" => 1,
                "s1" => 2,
                "s2" => 4,
                "any" => ANY,
                "telecom" => TELECOM,
                "bank" => BANK,
                "shop" => SHOP,
                "insurance" => INSURANCE,
                // the older names: not for banks (routers, bills, equipment)
                // nor insurers, or for banks only
                "not_bank" => TELECOM | SHOP,
                "bank_only" => BANK,
                _ => {
                    return Err(format!(
                        "fits = {s:?}: {word:?} is not one of s0, s1, s2, any, telecom, bank, \
                         shop, insurance, not_bank, bank_only"
                    ));
                }
            };
        }
        // naming only domains means every sub-type
        if bits & ANY == 0 {
            bits |= ANY;
        }
        Ok(Fits(bits))
    }
}
