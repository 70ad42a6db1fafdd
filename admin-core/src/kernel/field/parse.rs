//! [`AdminField`] for the column types the admin knows: text, numbers, decimals,
//! booleans, dates and times, and optional values of each; and the date parsers.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use super::{AdminField, Cell, Choice, FieldKind, required, rescaled};

impl AdminField for String {
    const KIND: FieldKind = FieldKind::Text;
    /// Trims the text; refuses it when empty or when it has a control character
    /// other than tab or a line break (a NUL byte cannot be stored in PostgreSQL).
    /// The field's length limit is checked by [`crate::FieldMeta::check_text`].
    fn parse_form(raw: &str) -> Result<Self, String> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(required());
        }
        if crate::kernel::text::has_control(t, crate::kernel::text::Lines::Many) {
            return Err(crate::kernel::text::CONTROL_MESSAGE.to_owned());
        }
        Ok(t.to_owned())
    }
    fn to_cell(&self) -> Cell {
        Cell::Text(self.clone())
    }
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl AdminField for $t {
            const KIND: FieldKind = FieldKind::Integer;
            fn parse_form(raw: &str) -> Result<Self, String> {
                let t = raw.trim();
                if t.is_empty() {
                    return Err(required());
                }
                let t = t.replace(['_', ','], "");
                t.parse::<$t>().map_err(|_| {
                    if t.parse::<i128>().is_ok() {
                        format!("Enter a whole number between {} and {}.", <$t>::MIN, <$t>::MAX)
                    } else {
                        "Enter a whole number.".to_owned()
                    }
                })
            }
            fn to_cell(&self) -> Cell {
                Cell::Int(i64::from(*self))
            }
        }
    )*};
}
int_field!(i16, i32, i64, u16, u32);

macro_rules! float_field {
    ($($t:ty),*) => {$(
        impl AdminField for $t {
            const KIND: FieldKind = FieldKind::Float;
            fn parse_form(raw: &str) -> Result<Self, String> {
                let t = raw.trim();
                if t.is_empty() {
                    return Err(required());
                }
                match t.parse::<$t>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err("Enter a number.".to_owned()),
                }
            }
            fn to_cell(&self) -> Cell {
                Cell::Float(f64::from(*self))
            }
        }
    )*};
}
float_field!(f32, f64);

impl AdminField for Decimal {
    const KIND: FieldKind = FieldKind::Decimal;
    fn parse_form(raw: &str) -> Result<Self, String> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(required());
        }
        t.replace(',', "").parse::<Decimal>().map_err(|_| "Enter a decimal number, like 12.50.".to_owned())
    }
    fn to_cell(&self) -> Cell {
        Cell::Decimal(*self)
    }
    fn fit_digits(self, precision: u32, scale: u32) -> Result<Self, String> {
        let places =
            if scale == 1 { "1 decimal place".to_owned() } else { format!("{scale} decimal places") };
        if self.normalize().scale() > scale {
            return Err(if scale == 0 {
                "Enter a whole number.".to_owned()
            } else {
                format!("Enter a number with at most {places}.")
            });
        }
        let whole = precision.saturating_sub(scale);
        let digits_before = self.trunc().abs().normalize().to_string().trim_start_matches('0').len();
        if u32::try_from(digits_before).unwrap_or(u32::MAX) > whole {
            return Err(format!("Enter a number with at most {whole} digits before the decimal point."));
        }
        Ok(rescaled(self, scale))
    }
}

/// Reads a yes/no value the one way every part of the admin reads it (forms,
/// list filters, action inputs): `1`, `true`, `on`, `yes` are yes; `0`, `false`,
/// `off`, `no` and nothing are no, in any case and with spaces around.
///
/// # Errors
/// "Choose yes or no." for anything else.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" | "" => Ok(false),
        _ => Err("Choose yes or no.".to_owned()),
    }
}

impl AdminField for bool {
    const KIND: FieldKind = FieldKind::Boolean;
    fn parse_form(raw: &str) -> Result<Self, String> {
        parse_bool(raw)
    }
    fn to_cell(&self) -> Cell {
        Cell::Bool(*self)
    }
}

/// Parses `YYYY-MM-DD`.
///
/// # Errors
/// A message naming the expected format.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| "Enter a date as YYYY-MM-DD, like 2026-03-02.".to_owned())?;
    in_year_range(d)?;
    Ok(d)
}

/// The years a date may have: both backends store them, and a person means one of
/// them (PostgreSQL refuses dates before 4713 BC; SQLite would keep any).
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

fn in_year_range(d: NaiveDate) -> Result<(), String> {
    use chrono::Datelike;
    if YEARS.contains(&d.year()) {
        Ok(())
    } else {
        Err(format!("Enter a date between the years {} and {}.", YEARS.start(), YEARS.end()))
    }
}

/// Parses `YYYY-MM-DD HH:MM[:SS]` (also with a `T`, as browsers send it).
///
/// # Errors
/// A message naming the expected format.
pub fn parse_datetime(raw: &str) -> Result<NaiveDateTime, String> {
    let t = raw.trim().replace('T', " ");
    let dt = NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M"))
        .map_err(|_| "Enter a date and time as YYYY-MM-DD HH:MM, like 2026-03-02 14:05.".to_owned())?;
    in_year_range(dt.date())?;
    Ok(dt)
}

impl AdminField for NaiveDate {
    const KIND: FieldKind = FieldKind::Date;
    fn parse_form(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err(required());
        }
        parse_date(raw)
    }
    fn to_cell(&self) -> Cell {
        Cell::Date(*self)
    }
}

impl AdminField for NaiveDateTime {
    const KIND: FieldKind = FieldKind::DateTime;
    fn parse_form(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err(required());
        }
        parse_datetime(raw)
    }
    fn to_cell(&self) -> Cell {
        Cell::DateTime(*self)
    }
}

impl AdminField for DateTime<Utc> {
    const KIND: FieldKind = FieldKind::DateTimeUtc;
    fn parse_form(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err(required());
        }
        parse_datetime(raw).map(|dt| dt.and_utc())
    }
    fn to_cell(&self) -> Cell {
        Cell::DateTime(self.naive_utc())
    }
}

impl<T: AdminField> AdminField for Option<T> {
    const KIND: FieldKind = T::KIND;
    const NULLABLE: bool = true;
    fn parse_form(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() { Ok(None) } else { T::parse_form(raw).map(Some) }
    }
    fn to_cell(&self) -> Cell {
        match self {
            Some(v) => v.to_cell(),
            None => Cell::Null,
        }
    }
    const CHOICES: Option<&'static [Choice]> = T::CHOICES;
    fn fit_digits(self, precision: u32, scale: u32) -> Result<Self, String> {
        self.map(|v| v.fit_digits(precision, scale)).transpose()
    }
}
