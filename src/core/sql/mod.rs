//! SQL text as the client handles it: the scanner (placeholders, statements, what a statement
//! may do) and binding parameters for each server's markers.

mod bind;
mod scan;

pub use bind::{bind, bind_many, Bound, BoundMany, Marker};
pub use scan::{scan, ParamStyle, Scanned};
