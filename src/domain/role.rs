//! Who may do what. Each role includes everything the ones below it may do.

use sea_orm::entity::prelude::*;

/// A user's role in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Reads everything in the organization.
    #[sea_orm(string_value = "VIEWER")]
    Viewer,
    /// Also logs activities, records payments, creates and sends payment links.
    #[sea_orm(string_value = "COLLECTOR")]
    Collector,
    /// Also creates and changes customers and invoices.
    #[sea_orm(string_value = "MANAGER")]
    Manager,
    /// Also manages users and settings.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

impl Role {
    /// Whether this role may do what `required` may.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "VIEWER",
            Role::Collector => "COLLECTOR",
            Role::Manager => "MANAGER",
            Role::Admin => "ADMIN",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_uppercase().as_str() {
            "VIEWER" => Ok(Role::Viewer),
            "COLLECTOR" => Ok(Role::Collector),
            "MANAGER" => Ok(Role::Manager),
            "ADMIN" => Ok(Role::Admin),
            _ => Err(format!(
                "unknown role {text:?} (expected ADMIN, MANAGER, COLLECTOR or VIEWER)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin.allows(Role::Manager));
        assert!(Role::Manager.allows(Role::Collector));
        assert!(Role::Collector.allows(Role::Viewer));
        assert!(!Role::Collector.allows(Role::Manager));
        assert!(!Role::Viewer.allows(Role::Collector));
        assert_eq!("collector".parse::<Role>().unwrap(), Role::Collector);
        assert!("root".parse::<Role>().is_err());
    }
}
