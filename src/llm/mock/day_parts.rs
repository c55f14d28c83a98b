//! The parts of the day a bank greets by, and when each begins.

use serde::Deserialize;

/// A time of day written "HH:MM" in a bank, as minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Clock(pub u32);

impl TryFrom<String> for Clock {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a time of day \"HH:MM\" (00:00 to 23:59)");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        let two_digits = |x: &str| x.len() == 2 && x.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(Clock(h * 60 + m))
    }
}

/// When each part of the day begins, in the conversation's simulated time:
/// the evening runs on through the night until the next morning.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayParts {
    pub morning: Clock,
    pub afternoon: Clock,
    pub evening: Clock,
}

impl DayParts {
    /// The part of the day (0 morning, 1 afternoon, 2 evening or night, as
    /// [`super::bank::ByDayPart::get`] takes it) at `minute` after midnight.
    pub fn at(&self, minute: u32) -> usize {
        if minute < self.morning.0 || minute >= self.evening.0 {
            2
        } else if minute >= self.afternoon.0 {
            1
        } else {
            0
        }
    }

    /// Why the three beginnings are not in the order morning, afternoon, evening.
    pub fn check(&self) -> Result<(), String> {
        if self.morning < self.afternoon && self.afternoon < self.evening {
            Ok(())
        } else {
            Err(String::from(
                "the morning must begin before the afternoon, and the afternoon before the evening",
            ))
        }
    }
}
