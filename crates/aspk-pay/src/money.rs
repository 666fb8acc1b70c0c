//! Exact conversion between minor units and the decimal major-unit amounts providers speak.
//! No floating-point arithmetic: amounts are handled as decimal text.

/// Minor units per major unit for the currencies aspk sells in (all have two decimals).
const MINOR_DIGITS: u32 = 2;

/// `12345` -> `"123.45"`, `100` -> `"1.00"`, `-5` -> `"-0.05"`.
pub fn minor_to_decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(MINOR_DIGITS);
    format!("{sign}{}.{:02}", abs / unit, abs % unit)
}

/// The amount as a JSON number with the same decimal digits (`12345` -> `123.45`).
/// A decimal of at most 15 significant digits survives the trip through `f64` and back to
/// text exactly, so the provider reads the very digits [`minor_to_decimal`] wrote.
pub fn minor_to_json(minor: i64) -> serde_json::Value {
    if minor % 100 == 0 {
        return serde_json::Value::from(minor / 100);
    }
    minor_to_decimal(minor)
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(serde_json::Value::Number)
        .unwrap_or_else(|| serde_json::Value::String(minor_to_decimal(minor)))
}

/// A decimal in major units (`"100"`, `"100.5"`, `"100.05"`, `"1e2"`) to minor units.
/// Refuses anything that is not a whole number of minor units (`"0.30000000000000004"`),
/// so a rounding error on the provider's side shows up instead of being rounded away.
pub fn decimal_to_minor(text: &str) -> Result<i64, String> {
    let bad = || format!("not an amount: {text:?}");
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (t, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // All digits, with the decimal point moved to the minor unit.
    let digits: String = format!("{int_part}{frac_part}");
    let shift = i64::from(exponent) + i64::from(MINOR_DIGITS) - frac_part.len() as i64;
    let digits = digits.trim_start_matches('0');
    let (whole, dropped) = if shift >= 0 {
        if digits.is_empty() {
            (String::new(), "")
        } else {
            let zeros = usize::try_from(shift).map_err(|_| bad())?;
            if zeros > 20 {
                return Err(bad());
            }
            (format!("{digits}{}", "0".repeat(zeros)), "")
        }
    } else {
        let cut = usize::try_from(-shift).map_err(|_| bad())?;
        if cut >= digits.len() {
            (String::new(), digits)
        } else {
            let (w, d) = digits.split_at(digits.len() - cut);
            (w.to_owned(), d)
        }
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!("{text:?} is not a whole number of minor units"));
    }
    let value: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    Ok(if negative { -value } else { value })
}

/// A JSON amount in major units (a number or a numeric string) to minor units.
pub fn json_to_minor(value: &serde_json::Value) -> Result<i64, String> {
    match value {
        serde_json::Value::Number(n) => decimal_to_minor(&n.to_string()),
        serde_json::Value::String(s) => decimal_to_minor(s),
        other => Err(format!("not an amount: {other}")),
    }
}

/// ISO 4217 numeric code for the letter codes aspk may sell in.
pub fn iso_numeric(currency: &str) -> Option<u16> {
    match currency {
        "UAH" => Some(980),
        "USD" => Some(840),
        "EUR" => Some(978),
        _ => None,
    }
}

/// ISO 4217 letter code for [`iso_numeric`]'s codes.
pub fn iso_letters(code: u64) -> Option<&'static str> {
    match code {
        980 => Some("UAH"),
        840 => Some("USD"),
        978 => Some("EUR"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_to_minor_edges() {
        assert_eq!(decimal_to_minor("100"), Ok(10000));
        assert_eq!(decimal_to_minor("100.5"), Ok(10050));
        assert_eq!(decimal_to_minor("100.05"), Ok(10005));
        assert_eq!(decimal_to_minor("100.050"), Ok(10005));
        assert_eq!(decimal_to_minor("0.01"), Ok(1));
        assert_eq!(decimal_to_minor(".5"), Ok(50));
        assert_eq!(decimal_to_minor("1e2"), Ok(10000));
        assert_eq!(decimal_to_minor("1.5E1"), Ok(1500));
        assert_eq!(decimal_to_minor("1234e-2"), Ok(1234));
        assert_eq!(decimal_to_minor("0"), Ok(0));
        assert_eq!(decimal_to_minor("-12.3"), Ok(-1230));
        assert!(decimal_to_minor("0.30000000000000004").is_err());
        assert!(decimal_to_minor("100.001").is_err());
        assert!(decimal_to_minor("").is_err());
        assert!(decimal_to_minor("1,5").is_err());
        assert!(decimal_to_minor("abc").is_err());
        assert!(decimal_to_minor("1e40").is_err());
    }

    #[test]
    fn float_sums_are_not_rounded_into_amounts() {
        // What a float computation of 0.1 + 0.2 gives, as serde_json prints it.
        let sum = serde_json::json!(0.1_f64 + 0.2_f64);
        assert!(json_to_minor(&sum).is_err());
        // What a JSON amount 0.3 parses and prints as.
        let parsed: serde_json::Value = serde_json::from_str("0.3").unwrap_or_default();
        assert_eq!(json_to_minor(&parsed), Ok(30));
    }

    #[test]
    fn minor_round_trips_through_json_text() {
        for minor in [
            0,
            1,
            5,
            10,
            99,
            100,
            10005,
            10050,
            12345,
            99_999_999,
            1_000_000_001,
        ] {
            let text = serde_json::to_string(&minor_to_json(minor)).unwrap_or_default();
            let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            assert_eq!(json_to_minor(&back), Ok(minor), "{minor} as {text}");
        }
        assert_eq!(minor_to_decimal(12345), "123.45");
        assert_eq!(minor_to_decimal(100), "1.00");
        assert_eq!(minor_to_decimal(-5), "-0.05");
        assert_eq!(
            serde_json::to_string(&minor_to_json(12345)).ok(),
            Some("123.45".into())
        );
        assert_eq!(
            serde_json::to_string(&minor_to_json(10050)).ok(),
            Some("100.5".into())
        );
    }
}
