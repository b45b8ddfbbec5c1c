//! Tenant scoping: every query for a tenant-owned table starts from [`OrgScoped::in_org`], so an
//! id from another organization finds nothing, exactly like an id that does not exist.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::domain::ids::OrganizationId;
use crate::entities::{
    activity, api_token, contact, customer, invoice, payment, payment_allocation, payment_link,
    payment_link_invoice, user,
};

/// A table whose rows belong to one organization.
pub trait OrgScoped: EntityTrait {
    /// The table's `organization_id` column.
    fn organization_column() -> Self::Column;

    /// The table's `id` column.
    fn id_column() -> Self::Column;

    /// A row's id.
    fn id_of(model: &Self::Model) -> Uuid;

    /// All of the organization's rows, and no others.
    fn in_org(organization: OrganizationId) -> Select<Self> {
        Self::find().filter(Self::organization_column().eq(organization.0))
    }

    /// One row by id, only if it belongs to the organization.
    fn find_in_org(id: Uuid, organization: OrganizationId) -> Select<Self> {
        Self::in_org(organization).filter(Self::id_column().eq(id))
    }
}

macro_rules! org_scoped {
    ($($module:ident),*) => {$(
        impl OrgScoped for $module::Entity {
            fn organization_column() -> Self::Column {
                $module::Column::OrganizationId
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn id_of(model: &Self::Model) -> Uuid {
                model.id
            }
        }
    )*};
}

org_scoped!(
    user,
    api_token,
    customer,
    contact,
    invoice,
    payment,
    payment_allocation,
    payment_link,
    payment_link_invoice,
    activity
);
