//! CEL expressions of custom policies: the environment they run in (the standard library and
//! custos's helpers), and compilation with the checks that can be made before any data is seen:
//! the cost limit, unknown variables and parameters, and a filter that cannot be a bool.

use super::budget::{self, Exceeded};
use super::fields::FieldTree;
use super::limits::{
    MAX_AST_DEPTH, MAX_AST_NODES, MAX_BRACKET_NESTING, MAX_COMPREHENSION_NESTING,
    MAX_EXPRESSION_BYTES, PARSER_STACK_BYTES,
};
use crate::shared::time::{age_in_days, days};
use cel::common::ast::{CallExpr, EntryExpr, Expr, LiteralValue, operators};
use cel::common::types::{self, CelInt, CelMap, CelMapKey, CelNull, CelString, CelUInt};
use cel::common::value::{CowVal, Val};
use cel::parser::Macro;
use cel::{Context, Env, ExecutionError, IdedExpr};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

/// The variables an expression may read.
pub const VARIABLES: [&str; 6] = ["resource", "project", "owner", "org", "as_of", "params"];

/// Type names CEL lets an expression mention, as in `type(x) == string`.
const TYPE_NAMES: [&str; 12] = [
    "bool",
    "bytes",
    "double",
    "duration",
    "dyn",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "timestamp",
    "uint",
];

/// The functions (and operators) an expression may call. Each either builds nothing larger than
/// a constant, or what it builds is measured by the runtime budget (see [`guard`]). Anything
/// else is refused when the policy loads: `replace` and `format`, whose results can be far
/// larger than their operands, and whatever a later version of the CEL library adds.
const ALLOWED_FUNCTIONS: [&str; 63] = [
    // Operators.
    operators::CONDITIONAL,
    operators::LOGICAL_AND,
    operators::LOGICAL_OR,
    operators::LOGICAL_NOT,
    operators::SUBSTRACT,
    operators::ADD,
    operators::MULTIPLY,
    operators::DIVIDE,
    operators::MODULO,
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::GREATER_EQUALS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::LESS,
    operators::NEGATE,
    operators::INDEX,
    operators::OPT_INDEX,
    operators::OPT_SELECT,
    operators::NOT_STRICTLY_FALSE,
    operators::IN,
    // Conversions and types.
    "bool",
    "bytes",
    "double",
    "duration",
    "dyn",
    "int",
    "string",
    "timestamp",
    "type",
    "uint",
    // Time parts.
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getMonth",
    "getSeconds",
    // Text and lists.
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "charAt",
    "indexOf",
    "lastIndexOf",
    "join",
    "lowerAscii",
    "upperAscii",
    "trim",
    "split",
    "substring",
    "reverse",
    // Optional values.
    "hasValue",
    "value",
    "orValue",
    "or",
    // custos's helpers.
    AGE_DAYS_AT,
    "days",
    "email_domain",
];

/// Functions whose result is a new text or list, at most a few times the size of their operands:
/// each result is measured (see [`guard`]).
const BUILDERS: [&str; 10] = [
    operators::ADD,
    "split",
    "lowerAscii",
    "upperAscii",
    "trim",
    "reverse",
    "substring",
    "charAt",
    "string",
    "bytes",
];

/// What `age_days(ts)` expands to: the helper needs `as_of`, and the interpreter's functions
/// see only their arguments.
const AGE_DAYS_AT: &str = "custos_age_days";

/// The environment every custom expression compiles and runs in. Built once: it holds no data.
pub static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(build_env()));

fn build_env() -> Env {
    let mut env = Env::stdlib();
    // These declarations are fixed and distinct; failing would be a bug caught by any test.
    env.add_macro(Macro::global("age_days", 1, |helper, _target, args| {
        let timestamp = args.pop().unwrap_or_default();
        let as_of = helper.next_expr(Expr::Ident("as_of".to_owned()));
        Ok(Some(helper.next_expr(Expr::Call(CallExpr {
            func_name: AGE_DAYS_AT.to_owned(),
            target: None,
            args: vec![timestamp, as_of],
        }))))
    }))
    .expect("age_days is declared once");
    env.add_overload(
        AGE_DAYS_AT,
        "custos_age_days_dyn_int",
        vec![types::DYN_TYPE, types::INT_TYPE],
        |args| {
            let as_of = int_arg(&args, 1).unwrap_or(0);
            match int_arg(&args, 0) {
                Some(timestamp) => Ok(CowVal::owned(CelInt::from(age_in_days(timestamp, as_of)))),
                None => Err(ExecutionError::function_error(
                    "age_days",
                    format!(
                        "expected a time in Unix seconds (an int), got {}",
                        type_name(&args, 0)
                    ),
                )),
            }
        },
    )
    .expect("custos_age_days is declared once");
    env.add_overload("days", "custos_days_int", vec![types::INT_TYPE], |args| {
        Ok(CowVal::owned(CelInt::from(days(
            int_arg(&args, 0).unwrap_or(0),
        ))))
    })
    .expect("days is declared once");
    env.add_overload(
        "email_domain",
        "custos_email_domain_dyn",
        vec![types::DYN_TYPE],
        |args| {
            let Some(value) = args.first() else {
                return Err(ExecutionError::invalid_argument_count(1, 0));
            };
            Ok(match email_domain(value.as_ref()) {
                Some(domain) => CowVal::owned(CelString::from(domain)),
                None => CowVal::owned(CelNull),
            })
        },
    )
    .expect("email_domain is declared once");
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension is added once");
    budget::declare(&mut env);
    env
}

fn int_arg(args: &[CowVal<'_, '_>], index: usize) -> Option<i64> {
    let value = args.get(index)?;
    if let Some(int) = value.downcast_ref::<CelInt>() {
        return Some(*int.inner());
    }
    value
        .downcast_ref::<CelUInt>()
        .and_then(|uint| i64::try_from(*uint.inner()).ok())
}

fn type_name(args: &[CowVal<'_, '_>], index: usize) -> String {
    args.get(index)
        .map_or("nothing", |value| value.get_type().name())
        .to_owned()
}

/// The lower-cased domain of an address, or of an object's `email` (or, where custos hashed the
/// address at ingest, its `email_domain`); `None` when there is none.
fn email_domain(value: &dyn Val) -> Option<String> {
    let text_of = |value: &dyn Val| {
        value
            .downcast_ref::<CelString>()
            .map(|text| text.inner().to_owned())
    };
    let domain_of = |address: String| {
        address
            .rsplit_once('@')
            .map(|(_, domain)| domain.trim().to_lowercase())
    };
    if let Some(address) = text_of(value) {
        return domain_of(address);
    }
    let map = value.downcast_ref::<CelMap<'_>>()?;
    let field = |name: &str| {
        map.inner()
            .get(&CelMapKey::from(name))
            .map(|v| text_of(v.as_ref()))
    };
    match field("email").flatten() {
        Some(address) => domain_of(address),
        None => field("email_domain")
            .flatten()
            .map(|domain| domain.to_lowercase()),
    }
}

/// A problem found in an expression, at a 1-based line and column of its own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprIssue {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ExprIssue {
    fn at_start(message: String) -> Self {
        ExprIssue {
            line: 1,
            column: 1,
            message,
        }
    }
}

/// What an expression reads: whether it reads the project, and which parts of the resource and
/// of its owner, so that evaluation only builds those; the parts of the resource read by the
/// filters are also a failure's evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    pub project: bool,
    pub resource: FieldTree,
    /// Empty when the owner is not read.
    pub owner: FieldTree,
}

impl Uses {
    pub fn union(mut self, other: &Uses) -> Uses {
        self.project |= other.project;
        self.resource.union(&other.resource);
        self.owner.union(&other.owner);
        self
    }
}

/// A compiled expression and what it reads.
#[derive(Debug)]
pub struct Compiled {
    pub source: String,
    /// The expression as written, with its runtime budget woven in (see [`guard`]).
    expression: IdedExpr,
    pub uses: Uses,
}

/// Why an expression gave no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// It failed on this data: a missing field, a wrong type...
    Error(ExecutionError),
    /// It was stopped: its budget, or the policy's time, ran out.
    Stopped(Exceeded),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Error(error) => write!(f, "{error}"),
            Failure::Stopped(Exceeded(reason)) => write!(f, "stopped: {reason}"),
        }
    }
}

impl Compiled {
    /// Evaluates the expression under a fresh budget, the policy's time ending at `deadline`.
    pub fn execute(
        &self,
        context: &Context<'_, '_>,
        deadline: Instant,
    ) -> Result<cel::Value, Failure> {
        match budget::metered(deadline, || cel::Value::resolve(&self.expression, context)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Failure::Error(error)),
            Err(exceeded) => Err(Failure::Stopped(exceeded)),
        }
    }
}

/// Whether the expression must be a bool (a filter) or may be anything (a message part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expecting {
    Bool,
    Anything,
}

/// Compiles `source`, checking everything that can be checked without data. `params` are the
/// names the policy declares.
pub fn compile(
    source: &str,
    params: &[String],
    expecting: Expecting,
) -> Result<Compiled, Vec<ExprIssue>> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(vec![ExprIssue::at_start(format!(
            "the expression is {} bytes long; the limit is {MAX_EXPRESSION_BYTES}",
            source.len()
        ))]);
    }
    if let Some(issue) = too_deeply_bracketed(source) {
        return Err(vec![issue]);
    }
    // The parser recurses deeply for each level of nesting: it gets a thread with a large stack,
    // and so do the checks and the drop of a refused tree, which recurse as well.
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("custos-cel-parser".to_owned())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || parse_and_check(source, params, expecting))
            .map(|handle| handle.join())
    });
    match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(_panic)) => Err(vec![ExprIssue::at_start(
            "the CEL parser failed on this expression".to_owned(),
        )]),
        Err(error) => Err(vec![ExprIssue::at_start(format!(
            "could not start the CEL parser: {error}"
        ))]),
    }
}

fn parse_and_check(
    source: &str,
    params: &[String],
    expecting: Expecting,
) -> Result<Compiled, Vec<ExprIssue>> {
    let program = ENV.compile(source).map_err(|errors| {
        errors
            .errors
            .into_iter()
            .map(|error| ExprIssue {
                line: usize::try_from(error.pos.0).unwrap_or(1).max(1),
                column: usize::try_from(error.pos.1).unwrap_or(1).max(1),
                message: error.msg,
            })
            .collect::<Vec<_>>()
    })?;
    let position = |id: u64| {
        let offset = program
            .source_info()
            .offset_for(id)
            .map_or(0, |(start, _)| start as usize);
        line_column(source, offset)
    };
    let mut walk = Walk {
        params,
        bound: Vec::new(),
        comprehensions: 0,
        nodes: 0,
        deepest: 0,
        uses: Uses::default(),
        issues: Vec::new(),
    };
    walk.visit(program.expression(), 1);
    let mut issues: Vec<ExprIssue> = walk
        .issues
        .iter()
        .map(|(id, message)| {
            let (line, column) = position(*id);
            ExprIssue {
                line,
                column,
                message: message.clone(),
            }
        })
        .collect();
    if walk.nodes > MAX_AST_NODES {
        issues.push(ExprIssue::at_start(format!(
            "the expression has {} nodes; the limit is {MAX_AST_NODES}: split it into several filters",
            walk.nodes
        )));
    }
    if walk.deepest > MAX_AST_DEPTH {
        issues.push(ExprIssue::at_start(format!(
            "the expression nests {} levels deep; the limit is {MAX_AST_DEPTH}: split it into several filters",
            walk.deepest
        )));
    }
    if expecting == Expecting::Bool
        && let Some(found) = not_a_bool(&program.expression().expr)
    {
        // The whole expression is at fault: point at its start.
        issues.push(ExprIssue::at_start(format!(
            "a filter must be true or false, but this expression is {found}"
        )));
    }
    // The walk borrows the program; only what it found outlives it.
    let uses = std::mem::take(&mut walk.uses);
    drop(walk);
    if issues.is_empty() {
        let mut expression = program.expression().clone();
        guard(&mut expression, &mut Vec::new());
        Ok(Compiled {
            source: source.to_owned(),
            expression,
            uses,
        })
    } else {
        Err(issues)
    }
}

/// Weaves the runtime budget into a checked expression (see [`budget`]): what a comprehension
/// walks counts a step per element, every value built by [`BUILDERS`] and every comprehension's
/// result is measured, and `join`, `matches`, `indexOf` and `lastIndexOf` call their budgeted
/// versions. `accumulators` are the result variables of the comprehensions around `node`: the
/// `@result + [x]` a `map` appends with is left alone, so that the interpreter still appends
/// in place rather than copying the list at each step; its elements are measured with the result.
fn guard(node: &mut IdedExpr, accumulators: &mut Vec<String>) {
    let wrap = |node: &mut IdedExpr, function: &str| {
        let inner = std::mem::take(node);
        node.id = inner.id;
        node.expr = Expr::Call(CallExpr {
            func_name: function.to_owned(),
            target: None,
            args: vec![inner],
        });
    };
    match &mut node.expr {
        Expr::Call(call) => {
            if let Some(target) = &mut call.target {
                guard(target, accumulators);
            }
            for arg in &mut call.args {
                guard(arg, accumulators);
            }
            let appends_to_accumulator = call.func_name == operators::ADD
                && matches!(call.args.first().map(|a| &a.expr),
                    Some(Expr::Ident(name)) if accumulators.contains(name));
            let budgeted = match call.func_name.as_str() {
                "join" => Some(budget::JOIN),
                "matches" => Some(budget::MATCHES),
                "indexOf" => Some(budget::INDEX_OF),
                "lastIndexOf" => Some(budget::LAST_INDEX_OF),
                _ => None,
            };
            if let Some(function) = budgeted {
                call.func_name = function.to_owned();
                if let Some(target) = call.target.take() {
                    call.args.insert(0, *target);
                }
            } else if BUILDERS.contains(&call.func_name.as_str()) && !appends_to_accumulator {
                wrap(node, budget::SIZED);
            }
        }
        Expr::Comprehension(comprehension) => {
            guard(&mut comprehension.iter_range, accumulators);
            wrap(&mut comprehension.iter_range, budget::ITERATE);
            guard(&mut comprehension.accu_init, accumulators);
            accumulators.push(comprehension.accu_var.clone());
            guard(&mut comprehension.loop_cond, accumulators);
            guard(&mut comprehension.loop_step, accumulators);
            guard(&mut comprehension.result, accumulators);
            accumulators.pop();
            wrap(node, budget::SIZED);
        }
        Expr::Select(select) => guard(&mut select.operand, accumulators),
        Expr::List(list) => {
            for element in &mut list.elements {
                guard(element, accumulators);
            }
        }
        Expr::Map(map) => guard_entries(&mut map.entries, accumulators),
        Expr::Struct(structure) => guard_entries(&mut structure.entries, accumulators),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn guard_entries(entries: &mut [cel::common::ast::IdedEntryExpr], accumulators: &mut Vec<String>) {
    for entry in entries {
        match &mut entry.expr {
            EntryExpr::MapEntry(map_entry) => {
                guard(&mut map_entry.key, accumulators);
                guard(&mut map_entry.value, accumulators);
            }
            EntryExpr::StructField(field) => guard(&mut field.value, accumulators),
        }
    }
}

/// Refuses text whose brackets nest deeper than the parser can take on an ordinary stack.
/// Brackets inside string literals are counted too: this is a guard, not a parser.
fn too_deeply_bracketed(source: &str) -> Option<ExprIssue> {
    let mut depth = 0usize;
    for (offset, c) in source.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_BRACKET_NESTING {
            let (line, column) = line_column(source, source[..offset].chars().count());
            return Some(ExprIssue {
                line,
                column,
                message: format!(
                    "brackets nest more than {MAX_BRACKET_NESTING} levels deep; split the expression"
                ),
            });
        }
    }
    None
}

/// The 1-based line and column of the character at `char_offset` in `source`.
pub fn line_column(source: &str, char_offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in source.chars().take(char_offset) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// Walks the syntax tree once: size, depth, comprehension nesting, names.
struct Walk<'a> {
    params: &'a [String],
    /// Variables bound by the comprehensions around the current node.
    bound: Vec<&'a str>,
    comprehensions: usize,
    nodes: usize,
    deepest: usize,
    uses: Uses,
    /// Node id and message.
    issues: Vec<(u64, String)>,
}

impl<'a> Walk<'a> {
    fn visit(&mut self, node: &'a IdedExpr, depth: usize) {
        self.nodes += 1;
        self.deepest = self.deepest.max(depth);
        if depth > MAX_AST_DEPTH + 1 {
            // Deeper is refused anyway; stop before the walk itself goes deep.
            return;
        }
        let next = depth + 1;
        match &node.expr {
            Expr::Ident(name) => self.ident(node.id, name),
            Expr::Select(select) => {
                if let Some((root, path)) = self.selected_path(node) {
                    // The root and the selections below this one count as nodes too.
                    self.nodes += path.len();
                    match root {
                        "resource" => self.uses.resource.add(&path),
                        _ => self.uses.owner.add(&path),
                    }
                    return;
                }
                if let Expr::Ident(root) = &select.operand.expr
                    && root == "params"
                    && !self.bound.contains(&"params")
                    && !self.params.iter().any(|p| p == &select.field)
                {
                    self.issues.push((
                        select.operand.id,
                        format!(
                            "unknown parameter `params.{}`; {}",
                            select.field,
                            declared(self.params)
                        ),
                    ));
                }
                self.visit(&select.operand, next);
            }
            Expr::Call(call) => {
                if !ALLOWED_FUNCTIONS.contains(&call.func_name.as_str()) {
                    self.issues.push((
                        node.id,
                        format!(
                            "`{}` is not available in custom policies (docs/custom-policies.md lists the functions that are)",
                            call.func_name
                        ),
                    ));
                } else if call.func_name == "matches"
                    && let Some(Expr::Literal(LiteralValue::String(pattern))) =
                        call.args.last().map(|pattern| &pattern.expr)
                    && let Err(problem) = budget::compiled_pattern(pattern)
                {
                    self.issues.push((node.id, problem));
                }
                if let Some(target) = &call.target {
                    self.visit(target, next);
                }
                for arg in &call.args {
                    self.visit(arg, next);
                }
            }
            Expr::List(list) => {
                for element in &list.elements {
                    self.visit(element, next);
                }
            }
            Expr::Map(map) => self.entries(&map.entries, next),
            Expr::Struct(structure) => self.entries(&structure.entries, next),
            Expr::Comprehension(comprehension) => {
                self.comprehensions += 1;
                if self.comprehensions > MAX_COMPREHENSION_NESTING {
                    self.issues.push((
                        node.id,
                        format!(
                            "comprehensions (all, exists, exists_one, map, filter) nest more than {MAX_COMPREHENSION_NESTING} deep"
                        ),
                    ));
                }
                self.visit(&comprehension.iter_range, next);
                self.visit(&comprehension.accu_init, next);
                let scope = self.bound.len();
                self.bound.push(&comprehension.iter_var);
                if let Some(second) = &comprehension.iter_var2 {
                    self.bound.push(second);
                }
                self.bound.push(&comprehension.accu_var);
                self.visit(&comprehension.loop_cond, next);
                self.visit(&comprehension.loop_step, next);
                self.visit(&comprehension.result, next);
                self.bound.truncate(scope);
                self.comprehensions -= 1;
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    /// `resource.owner.type` (or the same of `owner`): the variable and the fields selected
    /// from it, when the selection starts at one of those two and they are not shadowed by a
    /// comprehension's variable.
    fn selected_path(&self, node: &'a IdedExpr) -> Option<(&'a str, Vec<&'a str>)> {
        let mut path = Vec::new();
        let mut current = node;
        while let Expr::Select(select) = &current.expr {
            path.push(select.field.as_str());
            current = &select.operand;
        }
        let Expr::Ident(root) = &current.expr else {
            return None;
        };
        let root = root.as_str();
        if !matches!(root, "resource" | "owner") || self.bound.contains(&root) {
            return None;
        }
        path.reverse();
        Some((root, path))
    }

    fn entries(&mut self, entries: &'a [cel::common::ast::IdedEntryExpr], depth: usize) {
        for entry in entries {
            match &entry.expr {
                EntryExpr::MapEntry(map_entry) => {
                    self.visit(&map_entry.key, depth);
                    self.visit(&map_entry.value, depth);
                }
                EntryExpr::StructField(field) => self.visit(&field.value, depth),
            }
        }
    }

    fn ident(&mut self, id: u64, name: &str) {
        if self.bound.contains(&name) || TYPE_NAMES.contains(&name) {
            return;
        }
        match name {
            "project" => self.uses.project = true,
            "owner" => self.uses.owner = FieldTree::Whole,
            "resource" => self.uses.resource = FieldTree::Whole,
            _ if VARIABLES.contains(&name) => {}
            _ => self.issues.push((
                id,
                format!(
                    "unknown variable `{name}`; expressions may read {}",
                    VARIABLES.join(", ")
                ),
            )),
        }
    }
}

fn declared(params: &[String]) -> String {
    if params.is_empty() {
        "the policy declares no parameters".to_owned()
    } else {
        format!("declared parameters: {}", params.join(", "))
    }
}

/// What the expression evaluates to, when that is surely not a bool: literals, list and map
/// constructions, arithmetic, and the functions known to return something else. Anything else
/// is checked when it runs.
fn not_a_bool(expr: &Expr) -> Option<String> {
    const ARITHMETIC: [&str; 6] = ["_+_", "_-_", "_*_", "_/_", "_%_", "-_"];
    const NOT_BOOL_FUNCTIONS: [(&str, &str); 11] = [
        ("size", "an int"),
        ("int", "an int"),
        ("uint", "a uint"),
        ("double", "a double"),
        ("string", "a string"),
        ("bytes", "bytes"),
        ("type", "a type"),
        ("days", "an int"),
        (AGE_DAYS_AT, "an int"),
        ("email_domain", "a string"),
        ("timestamp", "a timestamp"),
    ];
    match expr {
        Expr::Literal(literal) => match literal {
            LiteralValue::Boolean(_) => None,
            LiteralValue::Bytes(_) => Some("a bytes literal".to_owned()),
            LiteralValue::Double(_) => Some("a double literal".to_owned()),
            LiteralValue::Int(_) => Some("an int literal".to_owned()),
            LiteralValue::Null => Some("null".to_owned()),
            LiteralValue::String(_) => Some("a string literal".to_owned()),
            LiteralValue::UInt(_) => Some("a uint literal".to_owned()),
        },
        Expr::List(_) => Some("a list".to_owned()),
        Expr::Map(_) => Some("a map".to_owned()),
        Expr::Ident(name) if name == "as_of" => Some("an int (`as_of`)".to_owned()),
        Expr::Ident(name) if VARIABLES.contains(&name.as_str()) => {
            Some(format!("an object (`{name}`)"))
        }
        Expr::Call(call) if ARITHMETIC.contains(&call.func_name.as_str()) => Some(format!(
            "an arithmetic result (`{}`)",
            call.func_name.trim_matches('_')
        )),
        Expr::Call(call) => NOT_BOOL_FUNCTIONS
            .iter()
            .find(|(name, _)| *name == call.func_name)
            .map(|(name, result)| {
                let name = if *name == AGE_DAYS_AT {
                    "age_days"
                } else {
                    name
                };
                format!("{result}, the result of `{name}`")
            }),
        Expr::Comprehension(comprehension)
            if matches!(comprehension.accu_init.expr, Expr::List(_)) =>
        {
            Some("a list (the result of map or filter)".to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_model::unix::DAY;

    fn issues(source: &str, params: &[&str]) -> Vec<ExprIssue> {
        let params: Vec<String> = params.iter().map(|p| (*p).to_owned()).collect();
        compile(source, &params, Expecting::Bool)
            .err()
            .unwrap_or_default()
    }

    fn run(source: &str) -> Result<cel::Value, Failure> {
        let compiled = compile(source, &[], Expecting::Anything).expect("compiles");
        let mut context = Context::with_env(Arc::clone(&ENV));
        context.add_variable_from_value("as_of", 10 * DAY);
        compiled.execute(
            &context,
            Instant::now() + std::time::Duration::from_secs(60),
        )
    }

    #[test]
    fn helpers_compute_days_ages_and_domains() {
        assert_eq!(run("age_days(86400 * 3)"), Ok(cel::Value::Int(7)));
        assert_eq!(run("age_days(86400 * 3 + 1)"), Ok(cel::Value::Int(6)));
        assert_eq!(run("days(2)"), Ok(cel::Value::Int(172_800)));
        assert_eq!(
            run("email_domain('A@Gmail.COM')"),
            Ok(cel::Value::from("gmail.com"))
        );
        assert_eq!(
            run("email_domain({'email_domain': 'Corp.example'})"),
            Ok(cel::Value::from("corp.example"))
        );
        assert_eq!(run("email_domain('nobody')"), Ok(cel::Value::Null));
        let error = run("age_days(null)").unwrap_err().to_string();
        assert!(error.contains("got null"), "{error}");
    }

    #[test]
    fn parse_errors_carry_their_position() {
        let found = issues("resource.id ==\n  (1 +", &[]);
        assert_eq!((found[0].line, found[0].column), (2, 7), "{found:?}");
    }

    #[test]
    fn unknown_names_and_parameters_are_reported_where_they_are() {
        let found = issues("resource.a > params.max_ag && x", &["max_age"]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].message.contains("`params.max_ag`"));
        assert!(found[0].message.contains("max_age"));
        assert_eq!(found[0].column, 14);
        assert!(found[1].message.contains("unknown variable `x`"));
        assert!(
            issues(
                "resource.items.exists(x, x.id == params.max_age)",
                &["max_age"]
            )
            .is_empty()
        );
    }

    #[test]
    fn a_filter_that_cannot_be_a_bool_is_refused() {
        for source in [
            "1 + 1",
            "'yes'",
            "size(resource.x)",
            "age_days(resource.t)",
            "[1]",
        ] {
            let found = issues(source, &[]);
            assert!(
                found.iter().any(|i| i.message.contains("true or false")),
                "{source}: {found:?}"
            );
        }
        assert!(issues("resource.enabled", &[]).is_empty());
    }

    #[test]
    fn the_documented_functions_are_available() {
        for source in [
            "size('ab') == 2 && 'ab'.size() == 2 && size([1]) == 1",
            "int('1') == 1 && uint(1) == 1u && double(1) == 1.0 && string(1) == '1'",
            "bytes('a') == b'a' && bool('true') && type(1) == int && dyn(1) == 1",
            "timestamp('2025-01-01T00:00:00Z').getFullYear() == 2025",
            "duration('1h') == duration('60m')",
            "'abc'.contains('b') && 'abc'.startsWith('a') && 'abc'.endsWith('c')",
            "'abc'.matches('^a') && matches('abc', 'c$')",
            "'abc'.charAt(1) == 'b' && 'abc'.indexOf('c') == 2 && 'abca'.lastIndexOf('a') == 3",
            "['a', 'b'].join() == 'ab' && ['a', 'b'].join('-') == 'a-b'",
            "'Ab'.lowerAscii() == 'ab' && 'ab'.upperAscii() == 'AB' && ' a '.trim() == 'a'",
            "'a,b'.split(',') == ['a', 'b'] && 'abc'.substring(1) == 'bc' && 'ab'.reverse() == 'ba'",
            "{'a': 1}.?b.or({'a': 2}.?a).value() == 2",
            "[1, 2].all(x, x > 0) && [1].exists(x, x == 1) && [1].exists_one(x, x == 1)",
            "[1, 2].map(x, x * 2) == [2, 4] && [1, 2].filter(x, x > 1) == [2]",
            "[1, 2].map(x, x > 1, x) == [2] && has({'a': 1}.a) && 1 in [1]",
            "{'a': 1}.?a.orValue(0) == 1 && [1][?0].hasValue()",
            "days(1) == 86400 && age_days(0) == 10 && email_domain('a@b.c') == 'b.c'",
            "(1 < 2 ? -1 : 2) % 2 == -1 && !false && 1 != 2 && 2 >= 1 && 1 <= 2 && 1 / 1 - 1 == 0",
        ] {
            assert!(
                issues(source, &[]).is_empty(),
                "{source}: {:?}",
                issues(source, &[])
            );
            assert_eq!(run(source), Ok(cel::Value::Bool(true)), "{source}");
        }
    }

    /// The budget wraps what builds values, which deepens the tree the interpreter recurses
    /// over: the deepest expression accepted still runs on an ordinary 2 MiB thread stack.
    #[test]
    fn the_deepest_accepted_expression_runs_on_an_ordinary_stack() {
        let depth = MAX_AST_DEPTH - 2;
        let chain = format!("{}'x'{} == ''", "(".repeat(depth), " + 'x')".repeat(depth));
        let compiled = compile(&chain, &[], Expecting::Bool).expect("accepted");
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let context = Context::with_env(Arc::clone(&ENV));
                compiled.execute(
                    &context,
                    Instant::now() + std::time::Duration::from_secs(60),
                )
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(result, Ok(cel::Value::Bool(false)));
    }

    #[test]
    fn pathological_expressions_are_refused_not_run() {
        let nested = format!("{}true{}", "(".repeat(500), ")".repeat(500));
        assert!(issues(&nested, &[])[0].message.contains("brackets nest"));
        let chain = format!("{}1 == 1", "1 + ".repeat(60));
        assert!(issues(&chain, &[])[0].message.contains("levels deep"));
        let long = "a".repeat(MAX_EXPRESSION_BYTES + 1);
        assert!(issues(&long, &[])[0].message.contains("bytes long"));
        let triple = "[1].all(a, [1].all(b, [1].all(c, true)))";
        assert!(issues(triple, &[])[0].message.contains("nest more than"));
    }
}
