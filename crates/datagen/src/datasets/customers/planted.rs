//! What the customer generator plants in a row: the [`Defect`]s that make it fail a rule, the
//! valid-but-tricky [`Trick`]s, and the [`RowInfo`] that reports them.

use super::{C_AGE, C_COUNTRY, C_DOB, C_EMAIL, C_ID, C_NAME, C_PHONE};

/// A planted defect; each makes the row fail the SPEC section 3 rule named by [`Defect::rule_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Defect {
    /// Empty or whitespace-only `customer_id`.
    NullCustomerId,
    /// Empty or whitespace-only `full_name`.
    NullFullName,
    /// Empty or whitespace-only `email`.
    NullEmail,
    /// Empty or whitespace-only `age`.
    NullAge,
    /// Empty or whitespace-only `date_of_birth`.
    NullDateOfBirth,
    /// Empty or whitespace-only `phone_number`.
    NullPhoneNumber,
    /// Empty or whitespace-only `country` (only with the country column).
    NullCountry,
    /// Letters, 0, negative, decimal, or beyond 9223372036854775807.
    CustomerId,
    /// Digits, punctuation, non-ASCII letters or a line break in the name.
    FullName,
    /// A malformed email address.
    Email,
    /// 0, above 120, negative or not a whole number.
    Age,
    /// Not `YYYY-MM-DD`, not a calendar date, year 1900 or before, or not before
    /// [`AS_OF`](super::AS_OF).
    DateOfBirth,
    /// 9 or 11 digits, or formatted with dashes, dots, spaces, parentheses or `+`.
    PhoneNumber,
    /// The full name (maybe in another case, with doubled spaces) and date of birth of an
    /// earlier row, under another customer id.
    Duplicate,
    /// A valid age that is not the completed years from the date of birth to
    /// [`AS_OF`](super::AS_OF).
    AgeConsistency,
    /// Not an ISO 3166-1 alpha-2 code (only with the country column).
    Country,
}

impl Defect {
    /// Every defect kind.
    pub const ALL: [Defect; 16] = [
        Defect::NullCustomerId,
        Defect::NullFullName,
        Defect::NullEmail,
        Defect::NullAge,
        Defect::NullDateOfBirth,
        Defect::NullPhoneNumber,
        Defect::NullCountry,
        Defect::CustomerId,
        Defect::FullName,
        Defect::Email,
        Defect::Age,
        Defect::DateOfBirth,
        Defect::PhoneNumber,
        Defect::Duplicate,
        Defect::AgeConsistency,
        Defect::Country,
    ];

    /// The failure id of SPEC section 3 this defect triggers.
    pub fn rule_id(self) -> &'static str {
        match self {
            Defect::NullCustomerId => "not_null:customer_id",
            Defect::NullFullName => "not_null:full_name",
            Defect::NullEmail => "not_null:email",
            Defect::NullAge => "not_null:age",
            Defect::NullDateOfBirth => "not_null:date_of_birth",
            Defect::NullPhoneNumber => "not_null:phone_number",
            Defect::NullCountry => "not_null:country",
            Defect::CustomerId => "customer_id",
            Defect::FullName => "full_name",
            Defect::Email => "email",
            Defect::Age => "age",
            Defect::DateOfBirth => "date_of_birth",
            Defect::PhoneNumber => "phone_number",
            Defect::Duplicate => "duplicate",
            Defect::AgeConsistency => "age_consistency",
            Defect::Country => "country",
        }
    }

    /// Columns the defect rewrites or depends on; two defects of a row never share one.
    pub(super) fn columns(self) -> u8 {
        match self {
            Defect::NullCustomerId | Defect::CustomerId => C_ID,
            Defect::NullFullName | Defect::FullName => C_NAME,
            Defect::NullEmail | Defect::Email => C_EMAIL,
            Defect::NullAge | Defect::Age => C_AGE,
            Defect::NullDateOfBirth | Defect::DateOfBirth => C_DOB,
            Defect::NullPhoneNumber | Defect::PhoneNumber => C_PHONE,
            Defect::NullCountry | Defect::Country => C_COUNTRY,
            Defect::Duplicate => C_NAME | C_DOB | C_AGE,
            Defect::AgeConsistency => C_AGE | C_DOB,
        }
    }

    /// Relative frequency among defective rows.
    pub(super) fn weight(self) -> u64 {
        match self {
            Defect::NullCustomerId
            | Defect::NullFullName
            | Defect::NullEmail
            | Defect::NullAge
            | Defect::NullDateOfBirth
            | Defect::NullPhoneNumber
            | Defect::NullCountry => 3,
            Defect::CustomerId | Defect::FullName | Defect::Age | Defect::Country => 8,
            Defect::Duplicate | Defect::AgeConsistency => 8,
            Defect::Email | Defect::DateOfBirth | Defect::PhoneNumber => 10,
        }
    }

    pub(super) fn needs_country(self) -> bool {
        matches!(self, Defect::NullCountry | Defect::Country)
    }
}

/// A valid-but-tricky variation: the row still passes every rule of SPEC section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trick {
    /// Spaces around one to three values (trimmed before the rules run).
    Whitespace,
    /// Quotes around values that need none (`"Ann Lee"`).
    QuotedFields,
    /// Leading zeros on the row's own customer id (`000123`; identity is the integer).
    LeadingZeroId,
    /// The customer id of an earlier valid row, for a different person: valid, but
    /// `already_present` at load time.
    RepeatedId,
    /// Full name in upper or lower case, or with a doubled inner space.
    NameCase,
    /// Email with a `+tag`, a `%`, upper-case letters or a sub-domain.
    EmailVariant,
    /// Age with a leading zero (`042`).
    AgeLeadingZero,
    /// Country code in lower or mixed case (only with the country column).
    CountryCase,
}

impl Trick {
    /// Every trick kind.
    pub const ALL: [Trick; 8] = [
        Trick::Whitespace,
        Trick::QuotedFields,
        Trick::LeadingZeroId,
        Trick::RepeatedId,
        Trick::NameCase,
        Trick::EmailVariant,
        Trick::AgeLeadingZero,
        Trick::CountryCase,
    ];

    pub(super) fn weight(self) -> u64 {
        match self {
            Trick::Whitespace | Trick::QuotedFields => 4,
            Trick::LeadingZeroId | Trick::RepeatedId | Trick::NameCase | Trick::EmailVariant => 2,
            Trick::AgeLeadingZero | Trick::CountryCase => 1,
        }
    }
}

/// What was planted in one generated row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowInfo {
    /// The row's defects: none, one, or two (in different columns).
    pub defects: [Option<Defect>; 2],
    /// The valid-but-tricky variation, if any (never on a defective row).
    pub trick: Option<Trick>,
}

impl RowInfo {
    /// Whether the row was made defective (so it should fail validation).
    pub fn is_defective(&self) -> bool {
        self.defects[0].is_some()
    }

    /// The planted defects.
    pub fn defects(&self) -> impl Iterator<Item = Defect> + '_ {
        self.defects.iter().flatten().copied()
    }
}
