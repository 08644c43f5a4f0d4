//! Generated WIT bindings, alone in this file so the rest of the crate can
//! deny unsafe code. Nothing else belongs here.
#![allow(unsafe_code, missing_docs, unreachable_pub, clippy::all)]

wit_bindgen::generate!({
    path: "../wit",
    world: "engine",
    pub_export_macro: true,
});

// The export glue is unsafe code too, so it is expanded here and not in `exports`.
use crate::exports::Component;
export!(Component with_types_in self);
