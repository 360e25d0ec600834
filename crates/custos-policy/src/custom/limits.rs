//! The cost limit of custom expressions. CEL has no I/O and no unbounded loop: its only loops
//! are the comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`), each walking a
//! list once. What remains to bound is the size of the expression, how deeply it nests (the
//! parser and the interpreter recurse, and a stack overflow would abort the whole run), how
//! deeply comprehensions nest, and the size of the lists they walk. With these limits one
//! evaluation performs at most about `MAX_AST_NODES * MAX_LIST_LEN^MAX_COMPREHENSION_NESTING`
//! steps; typical policies perform a few dozen.

/// Bytes of one expression (a filter or a `{{...}}` of the message).
pub const MAX_EXPRESSION_BYTES: usize = 2_048;
/// Nodes of one expression's syntax tree, macros expanded.
pub const MAX_AST_NODES: usize = 400;
/// Depth of one expression's syntax tree. Measured to leave ample room on a 2 MiB thread stack
/// in a debug build, where the interpreter's frames are largest.
pub const MAX_AST_DEPTH: usize = 24;
/// Brackets open at once in the source text, checked before the parser sees it.
pub const MAX_BRACKET_NESTING: usize = 24;
/// Comprehensions inside comprehensions: `a.exists(x, b.exists(y, ...))` is two.
pub const MAX_COMPREHENSION_NESTING: usize = 2;
/// Elements of a list (or fields of an object) in the data an expression sees.
pub const MAX_LIST_LEN: usize = 1_000;
/// Nesting of the data an expression sees.
pub const MAX_DATA_DEPTH: usize = 32;
/// Nesting of a policy or fixture file's YAML (block and flow levels together), checked before
/// the YAML parser sees it: its cost grows with the square of the depth.
pub const MAX_YAML_DEPTH: usize = 48;
/// A policy file larger than this is refused unread.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// The parser runs on a thread with this much stack: its recursion per nesting level is deep.
pub const PARSER_STACK_BYTES: usize = 256 << 20;
