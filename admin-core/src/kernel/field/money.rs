//! Money: an amount stored as a whole number of its currency's minor unit (cents),
//! shown with the currency ("€190.00", "190.00 CHF", "¥19,000").
//!
//! A field opts in with `#[admin(money(currency_field = "currency"))]` (the currency
//! is another column of the record) or `#[admin(money(currency = "EUR"))]` (one
//! currency for every record). Its cells are [`Cell::Money`](super::Cell::Money);
//! forms show and accept the amount in major units ("190.00" is stored as 19000);
//! CSV exports write the same plain decimal, without symbol or grouping, beside the
//! currency column.

/// Where a money field's currency comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyCurrency {
    /// Another field of the same record holds the ISO 4217 code (`"currency"`).
    Field(&'static str),
    /// Every record uses this ISO 4217 code (`"EUR"`).
    Fixed(&'static str),
}

/// An amount in a currency's minor unit, with the currency's ISO 4217 code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount in the minor unit: 19000 is 190.00 EUR, or 19,000 JPY.
    pub minor: i64,
    /// The ISO 4217 code (`EUR`), as stored; empty when the record has none.
    pub currency: String,
}

/// How many digits the currency's minor unit has: 2 for most, 0 for the yen and
/// other currencies without a smaller unit, 3 for the dinars that count in
/// thousandths. Unknown codes get 2.
#[must_use]
pub fn minor_digits(code: &str) -> u32 {
    match code.trim().to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "PYG" | "UGX" | "XAF" | "XOF" | "XPF" | "RWF" | "KMF"
        | "GNF" | "DJF" | "VUV" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// The symbol written before the amount, for the currencies whose symbol nobody
/// misreads; others are written as a code after the amount.
fn symbol(code: &str) -> Option<&'static str> {
    match code {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

impl Money {
    /// `minor` units of `currency`.
    #[must_use]
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Self { minor, currency: currency.into() }
    }

    /// The symbol written for the currency (`€` for EUR), when it has one nobody
    /// misreads; others are written as their code.
    #[must_use]
    pub fn symbol(&self) -> Option<&'static str> {
        symbol(&self.currency)
    }

    /// The amount in major units, locale-neutral, as forms and CSV carry it: `190.00`,
    /// `-5.50`, `19000` (JPY).
    #[must_use]
    pub fn amount(&self) -> String {
        self.text(false)
    }

    /// The amount as people read it: `€1,900.00`, `-$5.50`, `1,900.00 CHF`, or the
    /// grouped amount alone when the record has no currency.
    #[must_use]
    pub fn display(&self) -> String {
        let number = self.text(true);
        let (sign, digits) = number.strip_prefix('-').map_or(("", number.as_str()), |d| ("-", d));
        match (symbol(&self.currency), self.currency.is_empty()) {
            (Some(s), _) => format!("{sign}{s}{digits}"),
            (None, true) => number.clone(),
            (None, false) => format!("{number} {}", self.currency),
        }
    }

    fn text(&self, grouped: bool) -> String {
        let digits = minor_digits(&self.currency);
        let unit = 10u64.pow(digits);
        let abs = self.minor.unsigned_abs();
        let whole = abs / unit;
        let whole = if grouped { crate::kernel::text::thousands(whole) } else { whole.to_string() };
        let sign = if self.minor < 0 { "-" } else { "" };
        if digits == 0 {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{:0width$}", abs % unit, width = digits as usize)
        }
    }
}

/// Reads an amount typed in major units of `currency` ("190", "190.5", "1,900.00",
/// "€190.00", "190.00 EUR") into minor units (19000).
///
/// # Errors
/// A message for the person who typed it: "Enter an amount like 190.00.", "Enter
/// an amount with at most 2 decimal places.", "Enter a whole amount: JPY has no
/// smaller unit.", or "This amount is too large."
pub fn parse_amount(raw: &str, currency: &str) -> Result<i64, String> {
    let digits = minor_digits(currency);
    let example = Money::new(19_000 * 10i64.pow(digits) / 100, currency).amount();
    let like = format!("Enter an amount like {example}.");
    let code = currency.trim();
    let mut t = raw.trim().replace(',', "");
    if !code.is_empty() {
        t = t.trim_end_matches(code).trim_start_matches(code).trim().to_owned();
    }
    if let Some(s) = symbol(code) {
        t = t.replacen(s, "", 1);
    }
    let (negative, t) = t.strip_prefix('-').map_or((false, t.as_str()), |r| (true, r));
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return Err(if t.is_empty() && !negative { crate::kernel::field::required_message() } else { like });
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > digits as usize {
        return Err(if digits == 0 {
            format!("Enter a whole amount: {code} has no smaller unit.")
        } else {
            format!("Enter an amount with at most {digits} decimal places.")
        });
    }
    let too_large = || "This amount is too large.".to_owned();
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
    let frac_minor: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = digits as usize).parse().map_err(|_| like)?
    };
    let minor =
        whole.checked_mul(10i64.pow(digits)).and_then(|w| w.checked_add(frac_minor)).ok_or_else(too_large)?;
    Ok(if negative { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_the_currency_and_its_minor_unit() {
        assert_eq!(Money::new(19_000, "EUR").display(), "€190.00");
        assert_eq!(Money::new(3_087, "USD").display(), "$30.87");
        assert_eq!(Money::new(123_456_789, "GBP").display(), "£1,234,567.89");
        assert_eq!(Money::new(19_000, "JPY").display(), "¥19,000");
        assert_eq!(Money::new(1_500, "CHF").display(), "15.00 CHF");
        assert_eq!(Money::new(1_500, "KWD").display(), "1.500 KWD");
        assert_eq!(Money::new(-550, "EUR").display(), "-€5.50");
        assert_eq!(Money::new(5, "EUR").display(), "€0.05");
        assert_eq!(Money::new(1_999, "").display(), "19.99");
        assert_eq!(Money::new(-123_456, "EUR").amount(), "-1234.56");
        assert_eq!(Money::new(19_000, "JPY").amount(), "19000");
        assert_eq!(Money::new(i64::MIN, "EUR").amount(), "-92233720368547758.08");
    }

    #[test]
    fn typed_amounts_become_minor_units_or_a_plain_message() {
        assert_eq!(parse_amount("190.00", "EUR"), Ok(19_000));
        assert_eq!(parse_amount(" 190 ", "EUR"), Ok(19_000));
        assert_eq!(parse_amount("190.5", "EUR"), Ok(19_050));
        assert_eq!(parse_amount("1,900.00", "USD"), Ok(190_000));
        assert_eq!(parse_amount("€190.00", "EUR"), Ok(19_000));
        assert_eq!(parse_amount("190.00 EUR", "EUR"), Ok(19_000));
        assert_eq!(parse_amount("-5.50", "EUR"), Ok(-550));
        assert_eq!(parse_amount(".5", "EUR"), Ok(50));
        assert_eq!(parse_amount("19000", "JPY"), Ok(19_000));
        assert_eq!(parse_amount("1.500", "KWD"), Ok(1_500));
        assert_eq!(parse_amount("19000.00", "JPY"), Ok(19_000));
        assert_eq!(
            parse_amount("1.999", "EUR"),
            Err("Enter an amount with at most 2 decimal places.".into())
        );
        assert_eq!(parse_amount("1.5", "JPY"), Err("Enter a whole amount: JPY has no smaller unit.".into()));
        assert_eq!(parse_amount("twelve", "EUR"), Err("Enter an amount like 190.00.".into()));
        assert_eq!(parse_amount("1.2.3", "EUR"), Err("Enter an amount like 190.00.".into()));
        assert_eq!(parse_amount("", "EUR"), Err("This field is required.".into()));
        assert_eq!(parse_amount("99999999999999999999", "EUR"), Err("This amount is too large.".into()));
        assert_eq!(parse_amount("92233720368547758.08", "EUR"), Err("This amount is too large.".into()));
    }
}
