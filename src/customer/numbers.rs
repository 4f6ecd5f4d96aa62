//! Bank-number generation and validation: ABA routing numbers, Luhn-valid card numbers,
//! SSNs, account numbers and random hex/digit identifiers.

use rand::RngExt;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `n` random lowercase hex characters.
pub(super) fn hex<R: RngExt + ?Sized>(rng: &mut R, n: usize) -> String {
    (0..n)
        .map(|_| char::from(HEX[rng.random_range(0..16)]))
        .collect()
}

/// `n` random decimal digits.
fn digits<R: RngExt + ?Sized>(rng: &mut R, n: usize) -> Vec<u32> {
    (0..n).map(|_| rng.random_range(0..10)).collect()
}

fn to_string(ds: &[u32]) -> String {
    ds.iter().filter_map(|&d| char::from_digit(d, 10)).collect()
}

/// The digits of `s`, ignoring spaces and dashes; `None` if anything else is present.
fn parse_digits(s: &str) -> Option<Vec<u32>> {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_digit(10))
        .collect()
}

/// Weighted ABA sum (3-7-1) of up to nine digits.
fn aba_sum(ds: &[u32]) -> u32 {
    ds.iter()
        .zip([3, 7, 1].iter().cycle())
        .map(|(d, w)| d * w)
        .sum()
}

/// True when `s` is nine digits whose 3-7-1 weighted sum is a multiple of ten.
pub fn aba_valid(s: &str) -> bool {
    let ds: Option<Vec<u32>> = s.chars().map(|c| c.to_digit(10)).collect();
    ds.is_some_and(|ds| ds.len() == 9 && aba_sum(&ds) % 10 == 0)
}

/// Luhn sum of `ds`: every second digit from the right is doubled, and the digits of each
/// product are added.
fn luhn_sum(ds: &[u32]) -> u32 {
    let doubled = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { 2 * d } else { d });
    doubled.map(|d| d / 10 + d % 10).sum()
}

/// True when `s` (digits, optionally separated by spaces or dashes) passes the Luhn check.
/// At least two digits are required.
pub fn luhn_valid(s: &str) -> bool {
    parse_digits(s).is_some_and(|ds| ds.len() >= 2 && luhn_sum(&ds) % 10 == 0)
}

/// A routing number with a Federal Reserve district prefix (01-12) and a valid check digit.
pub(super) fn routing_number<R: RngExt + ?Sized>(rng: &mut R) -> String {
    let district: u32 = rng.random_range(1..=12);
    let mut ds = vec![district / 10, district % 10];
    ds.extend(digits(rng, 6));
    ds.push((10 - aba_sum(&ds) % 10) % 10);
    to_string(&ds)
}

/// A 16-digit Visa number (leading 4) with a Luhn check digit.
pub(super) fn card_number<R: RngExt + ?Sized>(rng: &mut R) -> String {
    let mut ds = vec![4];
    ds.extend(digits(rng, 14));
    ds.push(0);
    ds[15] = (10 - luhn_sum(&ds) % 10) % 10;
    to_string(&ds)
}

/// An account number of 10 to 12 digits without a leading zero.
pub(super) fn account_number<R: RngExt + ?Sized>(rng: &mut R) -> String {
    let len = rng.random_range(10..=12);
    let mut ds = vec![rng.random_range(1..10)];
    ds.extend(digits(rng, len - 1));
    to_string(&ds)
}

/// An SSN "AAA-GG-SSSS" with area 001-899 except 666, group 01-99 and serial 0001-9999.
pub(super) fn ssn<R: RngExt + ?Sized>(rng: &mut R) -> String {
    let area = match rng.random_range(1..=898u32) {
        666 => 899,
        a => a,
    };
    let group = rng.random_range(1..=99u32);
    let serial = rng.random_range(1..=9999u32);
    format!("{area:03}-{group:02}-{serial:04}")
}

/// A US phone number in E.164 form with valid area code and exchange (2-9 first, not N11).
pub(super) fn phone<R: RngExt + ?Sized>(rng: &mut R) -> String {
    let mut nxx = || match rng.random_range(200..=999u32) {
        n if n % 100 == 11 => n + 1,
        n => n,
    };
    let (area, exchange) = (nxx(), nxx());
    format!("+1{area}{exchange}{:04}", rng.random_range(0..=9999u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn aba_accepts_known_and_rejects_one_digit_changes() {
        let good = "011000015";
        assert!(aba_valid(good));
        for i in 0..9 {
            for d in b'0'..=b'9' {
                let mut bad = good.as_bytes().to_vec();
                if bad[i] == d {
                    continue;
                }
                bad[i] = d;
                assert!(!aba_valid(std::str::from_utf8(&bad).unwrap()), "{bad:?}");
            }
        }
        for s in ["", "01100001", "0110000150", "01100001a", "011-00001"] {
            assert!(!aba_valid(s), "{s}");
        }
    }

    #[test]
    fn luhn_accepts_known_and_ignores_separators() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("4111 1111-1111 1111"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("0"));
        assert!(!luhn_valid("4111x111111111111"));
    }

    #[test]
    fn generated_numbers_are_well_formed() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            assert!(aba_valid(&routing_number(&mut rng)));
            let card = card_number(&mut rng);
            assert!(
                card.len() == 16 && card.starts_with('4') && luhn_valid(&card),
                "{card}"
            );
            let acct = account_number(&mut rng);
            assert!(
                (10..=12).contains(&acct.len()) && !acct.starts_with('0'),
                "{acct}"
            );
            let p = phone(&mut rng);
            assert!(p.len() == 12 && p.starts_with("+1"), "{p}");
            assert!(p.as_bytes()[2] >= b'2' && p.as_bytes()[5] >= b'2', "{p}");
        }
    }
}
