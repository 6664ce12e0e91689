//! URL normalisation for linking (re-exported from [`waybill_model::url`], where
//! the candidate selection also uses it).

pub use waybill_model::url::{
    ends_at_folder, host_of, normalize, path_key, path_of, registrable_domain, same_resource,
};
