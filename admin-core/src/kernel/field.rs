//! Field kinds and the conversion of column values to and from form text.
//!
//! Every column type the admin can show or edit implements [`AdminField`]: it says
//! which form control it needs ([`FieldKind`]), how a form's text becomes a value
//! (with a message a person can act on when it does not), and how a value becomes a
//! [`Cell`] for display.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use sea_orm::Value;

mod money;
mod parse;

pub use money::{Money, MoneyCurrency, minor_digits, parse_amount};
pub use parse::{YEARS, parse_bool, parse_date, parse_datetime};

/// The kind of a field, which decides its form control, its display and its filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text (`String`).
    Text,
    /// A whole number (`i16`, `i32`, `i64`, `u32`).
    Integer,
    /// A floating point number (`f32`, `f64`).
    Float,
    /// An exact decimal (`rust_decimal::Decimal`).
    Decimal,
    /// Yes or no (`bool`).
    Boolean,
    /// A calendar date (`chrono::NaiveDate`).
    Date,
    /// A date and time without a zone, read as UTC (`chrono::NaiveDateTime`).
    DateTime,
    /// A date and time in UTC (`chrono::DateTime<Utc>`).
    DateTimeUtc,
    /// One of a fixed set of values (an enum with `#[derive(AdminChoices)]`).
    Choice,
}

impl FieldKind {
    /// Whether values of this kind are dates or date-times (filtered by range).
    #[must_use]
    pub fn is_temporal(self) -> bool {
        matches!(self, Self::Date | Self::DateTime | Self::DateTimeUtc)
    }
}

/// A value read from a record, ready to be displayed or put back into a form.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// SQL `NULL` (a `None`).
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// An exact decimal.
    Decimal(Decimal),
    /// Text, or the stored value of a choice.
    Text(String),
    /// A date.
    Date(NaiveDate),
    /// A date and time (UTC).
    DateTime(NaiveDateTime),
    /// An amount of money: a money field's minor units and its currency.
    Money(Money),
}

/// The format used for date-times in forms and displays: `2026-03-02 14:05:00`.
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

impl Cell {
    /// The text to put in a form control's `value` for this cell.
    #[must_use]
    pub fn form_value(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Decimal(d) => d.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Date(d) => date_text(*d),
            // `datetime-local` controls take `YYYY-MM-DDTHH:MM:SS`.
            Cell::DateTime(dt) => datetime_text(*dt, 'T', true),
            Cell::Money(m) => m.amount(),
        }
    }

    /// Plain text for lists, CSV and history (no markup).
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
            Cell::DateTime(dt) => datetime_text(*dt, ' ', false),
            Cell::Money(m) => m.display(),
            other => other.form_value(),
        }
    }

    /// The text a CSV export writes: locale-neutral (money as a plain decimal in
    /// major units, `190.00`, without symbol or grouping; its currency is a column of
    /// its own), otherwise as [`Cell::display`].
    #[must_use]
    pub fn export_text(&self) -> String {
        match self {
            Cell::Money(m) => m.amount(),
            other => other.display(),
        }
    }

    /// Whether this is `NULL`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// A decimal with exactly `scale` decimal places (`250` becomes `250.00`,
    /// `19.990000000000002` becomes `19.99`); other cells unchanged.
    ///
    /// SQLite hands decimals back as binary floating point (see [`AdminField::fit_digits`]);
    /// rounding to the column's scale gives back the exact value that was stored.
    #[must_use]
    pub fn with_scale(self, scale: u32) -> Self {
        match self {
            Cell::Decimal(d) => Cell::Decimal(rescaled(d, scale)),
            other => other,
        }
    }
}

/// `d` rounded (half away from zero) to `scale` decimal places and written with
/// exactly that many.
#[must_use]
pub fn rescaled(d: Decimal, scale: u32) -> Decimal {
    let mut d = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    d.rescale(scale);
    d
}

/// Most significant digits a decimal keeps exactly through SQLite, which stores it
/// as a binary floating-point number: any decimal of at most 15 significant digits
/// converts to the nearest double and back unchanged (IEEE 754's guarantee), and
/// since that conversion keeps order, such values also compare and sort exactly.
pub const SQLITE_EXACT_DIGITS: u32 = 15;

/// `YYYY-MM-DD`, written directly: lists format thousands of dates per page, and
/// chrono's `format` parses its pattern every time.
fn date_text(d: NaiveDate) -> String {
    use chrono::Datelike;
    let mut out = String::with_capacity(19);
    let year = d.year();
    if (0..=9999).contains(&year) {
        push_digits(&mut out, u32::try_from(year).unwrap_or(0), 4);
    } else {
        // Outside four digits, as chrono writes it.
        return d.format("%Y-%m-%d").to_string();
    }
    out.push('-');
    push_digits(&mut out, d.month(), 2);
    out.push('-');
    push_digits(&mut out, d.day(), 2);
    out
}

/// `YYYY-MM-DD{sep}HH:MM[:SS]`, written directly (see [`date_text`]).
fn datetime_text(dt: NaiveDateTime, sep: char, seconds: bool) -> String {
    use chrono::Timelike;
    let mut out = date_text(dt.date());
    out.push(sep);
    push_digits(&mut out, dt.hour(), 2);
    out.push(':');
    push_digits(&mut out, dt.minute(), 2);
    if seconds {
        out.push(':');
        push_digits(&mut out, dt.second(), 2);
    }
    out
}

fn push_digits(out: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        let d = (n / 10u32.pow(i)) % 10;
        out.push(char::from(b'0' + u8::try_from(d).unwrap_or(0)));
    }
}

/// A column type the admin can display, edit and filter.
///
/// Implemented for the usual sea-orm column types and for `Option` of each; enums get
/// it from `#[derive(AdminChoices)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be shown in the admin",
    note = "supported column types: String, integers, f32/f64, Decimal, bool, NaiveDate, NaiveDateTime, DateTime<Utc>, Option of these, and enums with #[derive(AdminChoices)]"
)]
pub trait AdminField: Sized {
    /// The form control and display this type needs.
    const KIND: FieldKind;
    /// Whether the column may be `NULL` (true for `Option<T>`).
    const NULLABLE: bool = false;

    /// Reads a form's text. Empty text means "no value" (only valid when nullable).
    ///
    /// # Errors
    /// A message for the person who typed it, e.g. "Enter a whole number."
    fn parse_form(raw: &str) -> Result<Self, String>;

    /// The value as a display cell.
    fn to_cell(&self) -> Cell;

    /// The allowed values and their labels, for choice fields.
    const CHOICES: Option<&'static [Choice]> = None;

    /// Checks a parsed value against a decimal column's declared precision and
    /// scale and writes it with exactly `scale` places (`19.9` becomes `19.90`).
    /// Only decimals are checked; other types pass unchanged.
    ///
    /// # Errors
    /// "Enter a number with at most 2 decimal places." or "Enter a number with at
    /// most 10 digits before the decimal point."
    fn fit_digits(self, precision: u32, scale: u32) -> Result<Self, String> {
        let _ = (precision, scale);
        Ok(self)
    }
}

/// One allowed value of a choice field and the label staff see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The stored value.
    pub value: &'static str,
    /// The label shown to staff.
    pub label: &'static str,
}

/// A fixed set of values with labels, from `#[derive(AdminChoices)]` on an enum.
///
/// Used as `#[admin(choices = Plan)]` on a text column, or directly as the column's
/// type when the enum is a sea-orm `ActiveEnum`.
#[diagnostic::on_unimplemented(note = "add #[derive(AdminChoices)] to the enum")]
pub trait AdminChoices {
    /// Every allowed value, in display order.
    const CHOICES: &'static [Choice];
}

/// A money field's cell: the amount's integer cell with the record's currency
/// (`#[admin(money(...))]` fields; written by the derive). `NULL` stays `NULL`.
#[must_use]
pub fn money_cell(amount: Cell, currency: &str) -> Cell {
    match amount {
        Cell::Int(minor) => Cell::Money(Money::new(minor, currency.trim())),
        other => other,
    }
}

/// The text of a currency column, for [`money_cell`]: a `String` or an
/// `Option<String>` (`None` reads as no currency).
pub trait CurrencyText {
    /// The ISO 4217 code, or "".
    fn currency_text(&self) -> &str;
}

impl CurrencyText for String {
    fn currency_text(&self) -> &str {
        self
    }
}

impl CurrencyText for Option<String> {
    fn currency_text(&self) -> &str {
        self.as_deref().unwrap_or_default()
    }
}

impl CurrencyText for &str {
    fn currency_text(&self) -> &str {
        self
    }
}

/// Converts a parsed field value into the value sea-orm binds.
pub fn to_value<T: Into<Value>>(v: T) -> Value {
    v.into()
}

fn required() -> String {
    "This field is required.".to_owned()
}

/// Reads a `blank` text field's form text (`#[admin(blank)]` on a `String`): empty
/// (or only spaces) is the empty string instead of "This field is required."
///
/// # Errors
/// As `String`'s [`AdminField::parse_form`] for text that is not empty.
pub fn parse_blank_text(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() { Ok(String::new()) } else { String::parse_form(raw) }
}

/// Checks that `raw` is one of `choices` (by stored value) and returns it.
///
/// # Errors
/// "Choose one of: Free, Trial, Monthly, Annual." when it is not.
pub fn parse_choice(raw: &str, choices: &[Choice]) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(required());
    }
    if choices.iter().any(|c| c.value == t) { Ok(t.to_owned()) } else { Err(choose_one_of(choices)) }
}

/// Like [`parse_choice`], but empty text means `None`.
///
/// # Errors
/// As [`parse_choice`].
pub fn parse_optional_choice(raw: &str, choices: &[Choice]) -> Result<Option<String>, String> {
    if raw.trim().is_empty() { Ok(None) } else { parse_choice(raw, choices).map(Some) }
}

/// "Choose one of: Free, Trial, Monthly, Annual."
#[must_use]
pub fn choose_one_of(choices: &[Choice]) -> String {
    let labels: Vec<&str> = choices.iter().map(|c| c.label).collect();
    format!("Choose one of: {}.", labels.join(", "))
}

/// The message for an empty required field: "This field is required."
#[must_use]
pub fn required_message() -> String {
    required()
}

/// Turns a field name into a label: `billing_state` becomes "Billing state".
#[must_use]
pub fn humanize(name: &str) -> String {
    let words = name.trim_matches('_').replace('_', " ");
    let mut out = String::with_capacity(words.len());
    let mut chars = words.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
    }
    out.extend(chars);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_reject_text_and_overflow_with_a_plain_message() {
        assert_eq!(i64::parse_form(" 42 "), Ok(42));
        assert_eq!(i64::parse_form("1,234"), Ok(1234));
        assert_eq!(i32::parse_form("abc"), Err("Enter a whole number.".into()));
        assert!(i16::parse_form("70000").unwrap_err().contains("between -32768 and 32767"));
        assert_eq!(i64::parse_form(""), Err("This field is required.".into()));
    }

    #[test]
    fn optional_fields_accept_empty_as_null() {
        assert_eq!(Option::<i64>::parse_form("  "), Ok(None));
        assert_eq!(Option::<i64>::parse_form("7"), Ok(Some(7)));
        assert_eq!(Option::<String>::parse_form(""), Ok(None));
        const { assert!(<Option<NaiveDate> as AdminField>::NULLABLE) };
    }

    #[test]
    fn dates_and_datetimes_accept_browser_formats() {
        assert_eq!(parse_date("2026-03-02").unwrap().to_string(), "2026-03-02");
        assert!(parse_date("02/03/2026").is_err());
        let dt = NaiveDateTime::parse_form("2026-03-02T14:05").unwrap();
        assert_eq!(dt.format(DATETIME_FORMAT).to_string(), "2026-03-02 14:05:00");
        assert_eq!(Cell::DateTime(dt).form_value(), "2026-03-02T14:05:00");
    }

    #[test]
    fn humanize_makes_labels_from_field_names() {
        assert_eq!(humanize("billing_state"), "Billing state");
        assert_eq!(humanize("id"), "Id");
        assert_eq!(humanize("signup_at"), "Signup at");
    }

    #[test]
    fn decimals_keep_their_scale_and_refuse_extra_digits() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(d("19.9").fit_digits(12, 2).unwrap().to_string(), "19.90");
        assert_eq!(d("250").fit_digits(12, 2).unwrap().to_string(), "250.00");
        assert_eq!(d("0.10").fit_digits(12, 2).unwrap().to_string(), "0.10");
        assert_eq!(d("1.230").fit_digits(12, 2).unwrap().to_string(), "1.23");
        assert_eq!(d("1.234").fit_digits(12, 2), Err("Enter a number with at most 2 decimal places.".into()));
        assert_eq!(d("1.25").fit_digits(5, 1), Err("Enter a number with at most 1 decimal place.".into()));
        assert_eq!(d("1.5").fit_digits(5, 0), Err("Enter a whole number.".into()));
        assert_eq!(d("9999999999.99").fit_digits(12, 2).unwrap().to_string(), "9999999999.99");
        assert_eq!(
            d("-12345678901").fit_digits(12, 2),
            Err("Enter a number with at most 10 digits before the decimal point.".into())
        );
        assert_eq!(d("0.5").fit_digits(2, 2).unwrap().to_string(), "0.50");
        assert_eq!(Some(d("7")).fit_digits(4, 2), Ok(Some(d("7.00"))));
    }

    #[test]
    fn decimals_read_back_through_doubles_are_exact_at_their_scale() {
        use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
        // What SQLite keeps (a double) and what sea-orm makes of it, for values of
        // up to 15 significant digits: rounding to the scale restores the value.
        for (text, scale) in
            [("0.10", 2), ("19.99", 2), ("1234567.89", 2), ("9999999999999.99", 2), ("0.0001", 4)]
        {
            let exact: Decimal = text.parse().unwrap();
            let through = Decimal::from_f64(exact.to_f64().unwrap()).unwrap();
            assert_eq!(Cell::Decimal(through).with_scale(scale).display(), text);
        }
    }

    #[test]
    fn text_refuses_nul_and_control_characters() {
        assert_eq!(String::parse_form("a\u{0}b"), Err(crate::kernel::text::CONTROL_MESSAGE.to_owned()));
        assert!(Option::<String>::parse_form("\u{1b}[31m").is_err());
        assert_eq!(String::parse_form("two\nlines"), Ok("two\nlines".to_owned()));
        assert_eq!(String::parse_form("\u{202e}abc\u{200b}"), Ok("\u{202e}abc\u{200b}".to_owned()));
    }

    #[test]
    fn dates_outside_the_years_both_backends_store_are_refused() {
        assert!(parse_date("-100000-01-01").is_err());
        assert!(parse_date("-4714-01-01").is_err());
        assert!(parse_date("0000-12-31").is_err());
        assert!(parse_date("+10000-01-01").is_err());
        assert!(parse_datetime("-4714-01-01T00:00").is_err());
        assert!(parse_date("0001-01-01").is_ok());
        assert!(parse_datetime("9999-12-31 23:59").is_ok());
    }

    #[test]
    fn floats_refuse_non_finite_values() {
        assert!(f64::parse_form("NaN").is_err());
        assert!(f64::parse_form("inf").is_err());
        assert_eq!(f64::parse_form("1.5"), Ok(1.5));
    }
}
