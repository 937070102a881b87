//! Who is calling, as the verified token says.

use crate::ids::PartnerId;

/// What a partner's user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Creates and manages claims.
    IncentivesAdmin,
    /// Only views claims.
    IncentivesUser,
}

impl Role {
    /// Parses the `role` claim of a token.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "incentives_admin" => Some(Self::IncentivesAdmin),
            "incentives_user" => Some(Self::IncentivesUser),
            _ => None,
        }
    }

    /// The claim's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncentivesAdmin => "incentives_admin",
            Self::IncentivesUser => "incentives_user",
        }
    }
}

/// The authenticated caller: a partner, and what its user may do. The partner id always comes
/// from here, never from a request body or query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The partner the user acts for.
    pub partner_id: PartnerId,
    /// The user's role; `None` for a role this service does not know, which may only read
    /// nothing.
    pub role: Option<Role>,
}

impl Caller {
    /// True when the caller may submit and withdraw claims.
    pub fn may_manage_claims(&self) -> bool {
        self.role == Some(Role::IncentivesAdmin)
    }

    /// True when the caller may view the partner's claims.
    pub fn may_view_claims(&self) -> bool {
        self.role.is_some()
    }
}
