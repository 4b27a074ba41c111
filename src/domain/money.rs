//! Money as integer minor units plus an ISO currency code, formatted for people.

/// "$1,250.00", "€12.00", "-£3.50", "1,000 JPY"-style for currencies without a symbol.
pub fn format(minor: i64, currency: &str) -> String {
    let (symbol, decimals) = match currency {
        "USD" => ("$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        "JPY" => ("¥", 0),
        _ => ("", 2),
    };
    let neg = minor < 0;
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(decimals);
    let whole = group(abs / unit);
    let amount = if decimals == 0 {
        whole
    } else {
        format!("{whole}.{:0width$}", abs % unit, width = decimals as usize)
    };
    let sign = if neg { "-" } else { "" };
    if symbol.is_empty() {
        format!("{sign}{amount} {currency}")
    } else {
        format!("{sign}{symbol}{amount}")
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parses "250", "250.5" or "1,250.00" into minor units (two decimals).
pub fn parse_minor(raw: &str) -> Result<i64, super::Invalid> {
    let s = raw.trim().replace(',', "");
    let bad = || super::Invalid::new("Enter an amount like 250 or 250.00.");
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, s),
    };
    let (w, f) = s.split_once('.').unwrap_or((&s, ""));
    if w.is_empty()
        || f.len() > 2
        || !w.chars().all(|c| c.is_ascii_digit())
        || !f.chars().all(|c| c.is_ascii_digit())
        || w.len() > 12
    {
        return Err(bad());
    }
    let v = w.parse::<i64>().map_err(|_| bad())? * 100
        + format!("{f:0<2}").parse::<i64>().map_err(|_| bad())?;
    Ok(if neg { -v } else { v })
}

/// The signed amount a credit-ledger entry stores: spend and expiry take credit away, so a
/// positive amount typed for them is stored negative; grants and top-ups only add.
pub fn ledger_amount(kind: &str, raw: &str) -> Result<i64, super::Invalid> {
    let amount = parse_minor(raw)?;
    if amount == 0 {
        return Err(super::Invalid::new("Enter an amount other than zero."));
    }
    match kind {
        "spend" | "expiry" => Ok(-amount.abs()),
        "grant" | "topup" if amount < 0 => Err(super::Invalid::new(
            "A grant or top-up adds credit: enter a positive amount. Use an adjustment to correct a mistake.",
        )),
        _ => Ok(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_formatted_for_people() {
        assert_eq!(format(25_000, "USD"), "$250.00");
        assert_eq!(format(123_456_789, "EUR"), "€1,234,567.89");
        assert_eq!(format(-350, "GBP"), "-£3.50");
        assert_eq!(format(1000, "JPY"), "¥1,000");
        assert_eq!(format(5, "CHF"), "0.05 CHF");
    }

    #[test]
    fn amounts_parse_to_minor_units() {
        assert_eq!(parse_minor("250").unwrap(), 25_000);
        assert_eq!(parse_minor("1,250.5").unwrap(), 125_050);
        assert_eq!(parse_minor("-3.50").unwrap(), -350);
        assert!(parse_minor("1.234").is_err());
        assert!(parse_minor("abc").is_err());
    }

    #[test]
    fn spending_is_stored_negative_and_grants_must_add() {
        assert_eq!(ledger_amount("spend", "12.50").unwrap(), -1250);
        assert_eq!(ledger_amount("expiry", "-3").unwrap(), -300);
        assert_eq!(ledger_amount("topup", "250").unwrap(), 25_000);
        assert_eq!(ledger_amount("adjustment", "-1").unwrap(), -100);
        assert!(ledger_amount("grant", "-5").is_err());
        assert!(ledger_amount("topup", "0").is_err());
    }
}
