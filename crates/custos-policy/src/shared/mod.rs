//! Logic several policies share: time windows and daily series, money, what data is missing,
//! which projects are in scope, keys, owners, and the policies whose data source is not
//! configured.

pub(crate) mod certificates;
pub(crate) mod data;
pub(crate) mod keys;
pub mod money;
pub(crate) mod owners;
pub(crate) mod people;
pub(crate) mod records;
pub(crate) mod scope;
pub(crate) mod series;
pub(crate) mod time;
pub(crate) mod unavailable;
