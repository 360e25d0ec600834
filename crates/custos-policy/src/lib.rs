//! The custos policy engine.
