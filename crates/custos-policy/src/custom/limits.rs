//! The cost limit of custom expressions. CEL has no I/O and no unbounded loop: its only loops
//! are the comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`), each walking a
//! list once. What remains to bound is the size of the expression, how deeply it nests (the
//! parser and the interpreter recurse, and a stack overflow would abort the whole run), how
//! deeply comprehensions nest, and the size of the data they walk: checked before an expression
//! runs. Lists and texts an expression builds (`split`, `map`, `join`, `+`) can be far larger
//! than its data, so each evaluation also runs under a budget of steps and bytes, and each
//! policy under a time limit (the `MAX_*_PER_EVALUATION`, `MAX_BUILT_*` and
//! `POLICY_TIME_BUDGET` below, enforced by `budget`).

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
/// Iterations of comprehensions in one evaluation of one expression: twice what two
/// comprehensions, one inside the other, take over lists of the data's largest size (1,000).
pub const MAX_STEPS_PER_EVALUATION: u64 = 2_000_000;
/// Bytes of text and lists one evaluation of one expression may build.
pub const MAX_BYTES_PER_EVALUATION: u64 = 16 << 20;
/// A text an expression sees or builds.
pub const MAX_STRING_BYTES: usize = 1 << 20;
/// Elements of a list an expression builds (`split`, `map`, `+`).
pub const MAX_BUILT_LIST_LEN: usize = 100_000;
/// Compiled size of a `matches` pattern, and of its search cache.
pub const MAX_PATTERN_PROGRAM_BYTES: usize = 1 << 20;
/// Time one custom policy may take over one organization; the resources left when it runs out
/// are indeterminate.
pub const POLICY_TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);
