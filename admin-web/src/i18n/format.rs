//! Numbers, amounts and times as a page's reader reads them: digits grouped and
//! decimals separated for the language (ICU4X's compiled CLDR data), times moved
//! from UTC to the reader's time zone and laid out by the catalogs' `datetime`
//! message. CSV, the JSON API and the audit log never come here: they stay
//! locale-neutral.

use std::cell::RefCell;
use std::collections::HashMap;

use admin_core::kernel::field::Cell;
use admin_core::kernel::field::Money;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;

use super::{Arg, Catalogs};

/// The language and time zone a page is shown in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locale {
    /// The catalog language (`en`, `de`).
    pub lang: String,
    /// The time zone times are shown in (stored times are UTC).
    pub tz: Tz,
}

impl Default for Locale {
    fn default() -> Self {
        Self { lang: super::FALLBACK.to_owned(), tz: Tz::UTC }
    }
}

impl Locale {
    /// `lang` and the time zone named `tz` (UTC when it is none or unknown).
    #[must_use]
    pub fn new(lang: impl Into<String>, tz: Option<&str>) -> Self {
        Self { lang: lang.into(), tz: tz.and_then(|z| z.parse().ok()).unwrap_or(Tz::UTC) }
    }

    /// The time zone's name (`Europe/Berlin`, `UTC`).
    #[must_use]
    pub fn tz_name(&self) -> &'static str {
        self.tz.name()
    }
}

thread_local! {
    /// One formatter per language and thread, made on first use.
    static FORMATTERS: RefCell<HashMap<String, DecimalFormatter>> = RefCell::default();
}

/// Runs `f` with the decimal formatter of `lang` (the root locale's when ICU4X
/// has no data for it).
fn with_formatter<T>(lang: &str, f: impl FnOnce(&DecimalFormatter) -> T) -> T {
    FORMATTERS.with_borrow_mut(|map| {
        let formatter = map.entry(lang.to_owned()).or_insert_with(|| {
            let prefs = icu_locale_core::Locale::try_from_str(lang).map(|l| (&l).into()).unwrap_or_default();
            DecimalFormatter::try_new(prefs, Default::default())
                .or_else(|_| DecimalFormatter::try_new(Default::default(), Default::default()))
                .expect("the root locale's decimal data is compiled in")
        });
        f(formatter)
    })
}

/// A whole number for `lang`: `1,234` (en), `1.234` (de).
#[must_use]
pub fn integer(lang: &str, n: i64) -> String {
    with_formatter(lang, |f| f.format(&Decimal::from(n)).to_string())
}

/// A locale-neutral decimal (`1234.50`, `-3`) for `lang`: `1,234.50`, `1.234,50`.
/// Text that is not a plain decimal comes back unchanged.
#[must_use]
pub fn decimal(lang: &str, plain: &str) -> String {
    match Decimal::try_from_str(plain.trim()) {
        Ok(d) => with_formatter(lang, |f| f.format(&d).to_string()),
        Err(_) => plain.to_owned(),
    }
}

/// An amount for `lang` through the catalogs' `money-symbol` / `money-code`
/// messages: `€1,900.00` and `1,900.00 CHF` in English, `1.900,00 €` in German.
#[must_use]
pub fn money(catalogs: &Catalogs, lang: &str, m: &Money) -> String {
    let plain = m.amount();
    let (sign, digits) = plain.strip_prefix('-').map_or(("", plain.as_str()), |d| ("-", d));
    let amount = decimal(lang, digits);
    match (m.symbol(), m.currency.is_empty()) {
        (_, true) => format!("{sign}{amount}"),
        (Some(s), _) => catalogs.text(
            lang,
            "money-symbol",
            &[("sign", sign.into()), ("symbol", s.into()), ("amount", amount.into())],
        ),
        (None, false) => catalogs.text(
            lang,
            "money-code",
            &[("sign", sign.into()), ("code", m.currency.as_str().into()), ("amount", amount.into())],
        ),
    }
}

/// A stored UTC time in the reader's zone and language, through the catalogs'
/// `datetime` message (`datetime-short` without seconds).
#[must_use]
pub fn datetime(catalogs: &Catalogs, locale: &Locale, utc: NaiveDateTime, seconds: bool) -> String {
    let local = locale.tz.from_utc_datetime(&utc);
    let pad = |n: u32| Arg::Text(format!("{n:02}"));
    use chrono::{Datelike, Timelike};
    let month = local.month();
    let month_name = catalogs.text(&locale.lang, &format!("month-{month}"), &[]);
    catalogs.text(
        &locale.lang,
        if seconds { "datetime" } else { "datetime-short" },
        &[
            ("year", Arg::Text(local.year().to_string())),
            ("month", pad(month)),
            ("month-name", Arg::Text(month_name)),
            ("day", pad(local.day())),
            ("hour", pad(local.hour())),
            ("minute", pad(local.minute())),
            ("second", pad(local.second())),
        ],
    )
}

/// A date (no zone) in the reader's language, through the catalogs' `date` message.
#[must_use]
pub fn date(catalogs: &Catalogs, lang: &str, d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let month_name = catalogs.text(lang, &format!("month-{}", d.month()), &[]);
    catalogs.text(
        lang,
        "date",
        &[
            ("year", Arg::Text(d.year().to_string())),
            ("month", Arg::Text(format!("{:02}", d.month()))),
            ("month-name", Arg::Text(month_name)),
            ("day", Arg::Text(format!("{:02}", d.day()))),
        ],
    )
}

/// Reads a time as the handlers write it (`2026-03-02 14:05` or with seconds).
#[must_use]
pub fn parse_utc(text: &str) -> Option<(NaiveDateTime, bool)> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map(|t| (t, true))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").map(|t| (t, false)))
        .ok()
}

/// A list or detail cell's text in the reader's language and zone, or `None` for
/// the cells whose text does not depend on them (text, choices).
#[must_use]
pub fn cell(catalogs: &Catalogs, locale: &Locale, cell: &Cell) -> Option<String> {
    let lang = locale.lang.as_str();
    Some(match cell {
        // Whole numbers are mostly keys and codes: written as stored.
        Cell::Int(n) => n.to_string(),
        Cell::Decimal(_) | Cell::Float(_) => decimal(lang, &cell.form_value()),
        Cell::Money(m) => money(catalogs, lang, m),
        Cell::DateTime(t) => datetime(catalogs, locale, *t, false),
        Cell::Date(d) => date(catalogs, lang, *d),
        Cell::Bool(b) => catalogs.text(lang, if *b { "yes" } else { "no" }, &[]),
        Cell::Null | Cell::Text(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_for_the_language() {
        assert_eq!(integer("en", 1_234_567), "1,234,567");
        assert_eq!(integer("de", 1_234_567), "1.234.567");
        assert_eq!(decimal("de", "1234.50"), "1.234,50");
        assert_eq!(decimal("en", "-3.5"), "-3.5");
        let c = Catalogs::builtin();
        assert_eq!(money(&c, "en", &Money::new(190_000, "EUR")), "€1,900.00");
        assert_eq!(money(&c, "de", &Money::new(190_000, "EUR")), "1.900,00 €");
        assert_eq!(money(&c, "de", &Money::new(1500, "CHF")), "15,00 CHF");
    }

    #[test]
    fn times_move_to_the_zone_and_the_language_layout() {
        let c = Catalogs::builtin();
        let t = NaiveDateTime::parse_from_str("2026-01-05 23:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(datetime(&c, &Locale::new("en", None), t, true), "2026-01-05 23:30:00");
        assert_eq!(datetime(&c, &Locale::new("de", Some("Europe/Berlin")), t, false), "06.01.2026 00:30");
    }
}
