//! The admin's own storage: its tables as sea-orm entities, transactions (and the
//! write turn that serialises writers on SQLite), and the SQL helpers the layers
//! above share. Above [`crate::kernel`] only.

pub mod entities;
pub mod sql;
pub mod txn;
