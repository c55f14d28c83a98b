//! Facts: everything a template can refer to, drawn once per conversation,
//! or taken from the variables and attributes when they give them.

use chrono::{Datelike, NaiveDate, Timelike};

use super::MockInput;
use super::attrs::tone_and_outcome;
use super::bank::Bank;
use super::calendar::{CallDates, retell_weekday};
use super::classify::{Domain, Outcome, Tone, Topic};
pub use super::keys::{KEYS, key_index};
use super::locale::lower_first;
use super::people::People;
use super::policy;
use super::var_names::RoleNames;
use super::vars::{clip, lookup, sanitize, value_number, value_text, var_text};
use crate::rng::ConvRng;

pub struct Facts {
    pub tone: Tone,
    pub outcome: Outcome,
    pub topic: Topic,
    pub amount_given: bool,
    /// The day of the call, which the fillers of long calls date back from.
    pub today: NaiveDate,
    values: [String; KEYS.len()],
}

pub fn pick_str(rng: &mut ConvRng, items: &'static [String]) -> &'static str {
    rng.choice(items).map_or("", String::as_str)
}

fn digits(rng: &mut ConvRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

impl Facts {
    pub fn build(
        input: &MockInput,
        bank: &'static Bank,
        topic: Topic,
        domain: Domain,
        roles: RoleNames,
        rng: &mut ConvRng,
    ) -> Self {
        let (pools, loc) = (&bank.facts, &bank.locale);
        let vars = input.variables;
        let attrs = input.attrs;
        let hay_body = format!(
            "{} {}",
            input.scenario_title,
            clip(input.scenario_text, 2000)
        )
        .to_lowercase();

        // Tone and outcome: attributes first, then the scenario text, then chance.
        let names = &bank.read.variables;
        let (tone, outcome) = tone_and_outcome(input, bank, &hay_body, rng);

        // People and company.
        let People {
            company,
            agent,
            customer,
            first,
            addr,
        } = People::draw(input, bank, domain, roles, rng);

        // Money.
        let symbol = loc.currency(vars, &names.currency, clip(input.system, 4000));
        let amount_var = lookup(vars, &names.amount);
        let amount_given = amount_var.and_then(value_text).is_some();
        // Monthly fees are smaller than one-off charges.
        let (lo, hi) = match topic {
            Topic::Technical | Topic::Cancel | Topic::Plan => (25.0, 95.0),
            Topic::Order => (15.0, 250.0),
            // what a repair or a loss is estimated at
            Topic::Claim => (450.0, 4800.0),
            _ => (18.0, 160.0),
        };
        let amount_draw = (rng.range_f64(lo, hi) * 100.0).round() / 100.0;
        let amount_num = amount_var.and_then(value_number);
        let amount = match (amount_var, amount_num) {
            (_, Some(v)) => loc.money(v, &symbol),
            (Some(v), None) => value_text(v).unwrap_or_else(|| loc.money(amount_draw, &symbol)),
            (None, None) => loc.money(amount_draw, &symbol),
        };
        let base = amount_num.unwrap_or(amount_draw);
        let usual_v = (base * rng.range_f64(0.45, 0.75)).max(9.0).round();
        let usual = loc.money(usual_v, &symbol);
        let new_amount = loc.money(rng.int(19, 69).unwrap_or(39) as f64 + 0.9, &symbol);
        let penalty = loc.money(rng.int(30, 150).unwrap_or(60) as f64, &symbol);

        // Dates, around the call's day.
        let dates = CallDates::draw(input.start.date(), rng);
        let months = &pools.months;
        let month = months[dates.bill_month].to_string();
        let bill = loc.bill.get(domain).replace("{month}", &month);
        let on = |d: NaiveDate| loc.date(i64::from(d.day()), &months[d.month0() as usize]);
        let (eff_date, ship_day, sent_day) =
            (on(dates.effective), on(dates.delivery), on(dates.sent));
        let perm_month = months[dates.term_end_month].to_string();

        let since = retell_weekday(
            pick_str(rng, &pools.since),
            &pools.weekdays,
            dates.since_day,
        );
        let ticket = format!("INC-{}", digits(rng, 6));
        let sla = pick_str(rng, &pools.sla).to_string();
        let refund = pick_str(rng, &pools.refund).to_string();
        let dept = pools.dept.get(topic).clone();

        // Identity data.
        let dni = var_text(vars, &names.id).unwrap_or_else(|| loc.id(rng));
        let dob = var_text(vars, &names.birth_date).unwrap_or_else(|| {
            let b = dates.birth;
            let month = &months[b.month0() as usize];
            loc.birth_date(i64::from(b.day()), month, i64::from(b.year()))
        });
        let digits4 = digits(rng, 4);
        let digits4 = var_text(vars, &names.last4).unwrap_or(digits4);
        let phone_draw = loc.phone(rng);
        let phone = var_text(vars, &names.phone).unwrap_or(phone_draw);

        // Product and plan.
        let products = pools.products.get(domain);
        let product_draw = pick_str(rng, products);
        // an insurer's product the scenario names (a home policy, not a car's)
        let named = products
            .iter()
            .find(|p| domain == Domain::Insurance && hay_body.contains(&p.to_lowercase()));
        let product = var_text(attrs, &names.product)
            .or_else(|| var_text(vars, &names.product))
            .or_else(|| named.cloned())
            .unwrap_or_else(|| product_draw.to_string());
        let plan_draw = pick_str(rng, pools.plans.get(domain));
        let plan = var_text(vars, &names.plan).unwrap_or_else(|| plan_draw.to_string());

        // Bank cards and the kind of fee a disputed charge turns out to be.
        let card_draw = pick_str(rng, &pools.cards);
        let card = if bank.read.cards.iter().any(|c| product.contains(c.as_str())) {
            product.clone()
        } else {
            card_draw.to_string()
        };
        let fee = pick_str(rng, pools.fees.get(domain)).to_string();

        // Insurance: the policy and the deductible.
        let (policy, deductible) =
            policy::policy_facts(vars, names, loc, &symbol, &ticket, amount_draw);

        // Scenario.
        let title_src = if input.scenario_title.trim().is_empty() {
            input.scenario_id.replace(['_', '-'], " ")
        } else {
            input.scenario_title.to_string()
        };
        let mut title = sanitize(&title_src);
        if title.is_empty() {
            title = loc.no_title.clone();
        }
        let title_lc = lower_first(&title);
        let issue = pools.issue.get(topic).clone();

        // Orders.
        let order = var_text(vars, &names.order)
            .unwrap_or_else(|| format!("{}{}", rng.int(1, 9).unwrap_or(4), digits(rng, 7)));
        let item_i = rng.below(pools.items.len() as u64) as usize;
        let (item, the_item) = (&pools.items[item_i].a, &pools.items[item_i].the);
        let street = pick_str(rng, &pools.streets).to_string();
        let num = rng.int(1, 140).unwrap_or(12).to_string();

        // Small talk material.
        let years = pick_str(rng, &pools.years).to_string();
        let callback = retell_weekday(
            pick_str(rng, &pools.callback),
            &pools.weekdays,
            dates.callback_day,
        );
        let pct = rng
            .choice(&["15", "20", "25", "30"])
            .copied()
            .unwrap_or("")
            .to_string();
        let hour = pick_str(rng, &pools.hours).to_string();
        let doc = pick_str(rng, &pools.docs).to_string();
        // The greeting follows the conversation's simulated start.
        let minute_of_day = input.start.hour() * 60 + input.start.minute();
        let part_of_day = pools.day_parts.at(minute_of_day);
        let (hello, wish) = (pools.hello.get(part_of_day), pools.wish.get(part_of_day));
        let hello_lc = lower_first(hello);

        let values = [
            company,
            agent,
            customer,
            first,
            addr,
            amount,
            usual,
            bill,
            month,
            since,
            ticket,
            sla,
            refund,
            dept,
            dni,
            dob,
            digits4,
            phone,
            product,
            title,
            title_lc,
            issue,
            order,
            item.to_string(),
            the_item.to_string(),
            years,
            eff_date,
            ship_day,
            callback,
            plan,
            new_amount,
            pct,
            hour,
            street,
            num,
            doc,
            hello.to_string(),
            hello_lc,
            wish.to_string(),
            penalty,
            perm_month,
            String::new(),
            String::new(),
            String::new(),
            card,
            fee,
            String::new(),
            policy,
            deductible,
            sent_day,
            String::new(),
        ];
        Facts {
            tone,
            outcome,
            topic,
            amount_given,
            today: dates.today,
            values,
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        key_index(key).map(|i| self.values[i].as_str())
    }

    pub fn set(&mut self, key: &str, value: String) {
        if let Some(i) = key_index(key) {
            self.values[i] = value;
        }
    }
}
