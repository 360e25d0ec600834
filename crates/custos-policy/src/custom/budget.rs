//! The runtime budget of custom expressions. The limits checked before an expression runs (see
//! [`super::limits`]) bound the expression, not what it builds: `split` makes a list as long as
//! a text, `map` a list as long as another, `join` a text as long as all of a list's texts
//! together, so a 100-character filter could walk 10^10 pairs or ask for 10 GB. Each evaluation
//! therefore runs under a meter, kept per thread as the interpreter's functions see only their
//! arguments:
//!
//! - every iteration of a comprehension is a step: the list or map a comprehension walks is
//!   wrapped so that taking each element counts (see [`iterate`]);
//! - every value an expression builds (the result of `+`, of `split`, `join`, `lowerAscii` and
//!   the other functions that make text or lists, of `map` and `filter`) is measured, counted
//!   against the bytes the evaluation may build, and refused above the size of one string or
//!   one list; `join`, whose result can be far larger than its operands, is measured before it
//!   is built;
//! - the policy's time runs out at a deadline, checked as steps and bytes are counted.
//!
//! Once a budget is exceeded every further step fails at once, so the evaluation unwinds
//! quickly, and its result is discarded whatever it was: the caller gets the reason instead.
//! `matches` compiles each pattern once, with size limits, and searches in linear time;
//! `indexOf` and `lastIndexOf` search in linear time too.

use super::limits::{
    MAX_BUILT_LIST_LEN, MAX_BYTES_PER_EVALUATION, MAX_PATTERN_PROGRAM_BYTES,
    MAX_STEPS_PER_EVALUATION, MAX_STRING_BYTES,
};
use cel::ExecutionError;
use cel::common::traits::{Iterable, Iterator as CelIterator, Sizer};
use cel::common::types::{CelBool, CelBytes, CelInt, CelMap, CelString, Type};
use cel::common::value::{CowVal, Val};
use regex::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

/// What one element of a list costs besides its own content: the box and the pointer to it.
const ELEMENT_BYTES: u64 = 48;
/// How many steps pass between two looks at the clock.
const STEPS_PER_CLOCK_CHECK: u64 = 256;
/// Compiled patterns kept; beyond, a pattern is compiled for each use (with the same limits).
const MAX_CACHED_PATTERNS: usize = 1_024;

/// The budget of the evaluation running on this thread.
struct Meter {
    steps: u64,
    bytes: u64,
    deadline: Instant,
    /// Set once a budget is exceeded: every later charge fails with it.
    exceeded: Option<String>,
}

thread_local! {
    static METER: RefCell<Option<Meter>> = const { RefCell::new(None) };
}

/// Why an evaluation was stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded(pub String);

/// Restores the meter of an enclosing evaluation (none, in practice) even if `f` panics.
struct Installed(Option<Meter>);

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.0.take();
        METER.with(|meter| *meter.borrow_mut() = previous);
    }
}

/// Runs `f` under a fresh per-evaluation budget ending at `deadline`. When the budget was
/// exceeded, whatever `f` returned is replaced by the reason.
pub fn metered<R>(deadline: Instant, f: impl FnOnce() -> R) -> Result<R, Exceeded> {
    let fresh = Meter {
        steps: 0,
        bytes: 0,
        deadline,
        exceeded: None,
    };
    let installed = Installed(METER.with(|meter| meter.borrow_mut().replace(fresh)));
    let result = f();
    let exceeded = METER.with(|meter| {
        meter
            .borrow_mut()
            .as_mut()
            .and_then(|meter| meter.exceeded.take())
    });
    drop(installed);
    match exceeded {
        Some(reason) => Err(Exceeded(reason)),
        None => Ok(result),
    }
}

/// Counts `steps` and `bytes` against the current evaluation's budget.
fn charge(steps: u64, bytes: u64) -> Result<(), ExecutionError> {
    METER.with(|meter| {
        let mut meter = meter.borrow_mut();
        let Some(meter) = meter.as_mut() else {
            return Err(ExecutionError::function_error(
                "budget",
                "a custom expression ran outside a budget",
            ));
        };
        if meter.exceeded.is_none() {
            let before = meter.steps;
            meter.steps = meter.steps.saturating_add(steps);
            meter.bytes = meter.bytes.saturating_add(bytes);
            // The first step and every STEPS_PER_CLOCK_CHECK-th look at the clock, and so does
            // every value built (building costs more than a look).
            let look_at_clock = bytes > 0
                || (steps > 0
                    && (before == 0
                        || before / STEPS_PER_CLOCK_CHECK
                            != meter.steps / STEPS_PER_CLOCK_CHECK));
            meter.exceeded = if meter.steps > MAX_STEPS_PER_EVALUATION {
                Some(format!(
                    "the evaluation took more than {MAX_STEPS_PER_EVALUATION} steps (iterations of all, exists, map, filter...)"
                ))
            } else if meter.bytes > MAX_BYTES_PER_EVALUATION {
                Some(format!(
                    "the evaluation built more than {MAX_BYTES_PER_EVALUATION} bytes of text and lists"
                ))
            } else if look_at_clock && Instant::now() >= meter.deadline {
                Some("the policy ran out of time".to_owned())
            } else {
                None
            };
        }
        match &meter.exceeded {
            Some(reason) => Err(ExecutionError::function_error("budget", reason)),
            None => Ok(()),
        }
    })
}

/// The size of what `value` holds, for the budget: a text's bytes, a list's or map's elements
/// (each [`ELEMENT_BYTES`] plus its own size). Shared parts count as often as they appear, as
/// that is what joining or comparing them costs. Stops counting past `limit`.
fn size_of(value: &dyn Val, limit: u64) -> u64 {
    if let Some(text) = value.downcast_ref::<CelString>() {
        return text.inner().len() as u64;
    }
    if let Some(bytes) = value.downcast_ref::<CelBytes>() {
        return bytes.inner().len() as u64;
    }
    let mut total = 0u64;
    if let Some(map) = value.downcast_ref::<CelMap>() {
        for element in map.inner().values() {
            total = total.saturating_add(ELEMENT_BYTES * 2 + size_of(element.as_ref(), limit));
            if total > limit {
                break;
            }
        }
        return total;
    }
    if let Some(iterable) = value.as_iterable() {
        let mut elements = iterable.iter();
        while let Some(element) = elements.next() {
            total = total.saturating_add(ELEMENT_BYTES + size_of(element, limit));
            if total > limit {
                break;
            }
        }
    }
    total
}

/// Checks a value an expression built against the size of one string and one list, and counts
/// it against the evaluation's bytes. `what` names where it was built.
fn account(value: &dyn Val, what: &str) -> Result<(), ExecutionError> {
    let too_large = |message: String| Err(ExecutionError::function_error(what, message));
    if let Some(text) = value.downcast_ref::<CelString>() {
        if text.inner().len() > MAX_STRING_BYTES {
            return too_large(format!(
                "it builds a text of {} bytes; the limit is {MAX_STRING_BYTES}",
                text.inner().len()
            ));
        }
    } else if let Some(size) = value.as_sizer().map(|sizer| *sizer.size().inner())
        && usize::try_from(size).unwrap_or(usize::MAX) > MAX_BUILT_LIST_LEN
    {
        return too_large(format!(
            "it builds a list of {size} elements; the limit is {MAX_BUILT_LIST_LEN}"
        ));
    }
    charge(0, size_of(value, MAX_BYTES_PER_EVALUATION + 1))
}

/// `@custos_sized(x)`: `x`, once accounted for. Wraps every node that builds a value.
pub const SIZED: &str = "@custos_sized";

fn sized<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let value = single(args)?;
    account(value.as_ref(), "the expression")?;
    Ok(value)
}

fn single<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let count = args.len();
    let mut args = args.into_iter();
    match (args.next(), args.next()) {
        (Some(value), None) => Ok(value),
        _ => Err(ExecutionError::invalid_argument_count(1, count)),
    }
}

/// `@custos_iterate(range)`: what a comprehension walks, each element taken costing a step.
pub const ITERATE: &str = "@custos_iterate";

fn iterate<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let range = single(args)?;
    if range.as_iterable().is_none() {
        // Not a list or map: the interpreter says so.
        return Ok(range);
    }
    Ok(CowVal::owned(Metered {
        inner: range.into_owned(),
    }))
}

/// A list or map whose iteration counts steps. When the budget runs out the iteration ends
/// early; the evaluation's result is then discarded (see [`metered`]).
#[derive(Debug)]
struct Metered<'v> {
    inner: Box<dyn Val + 'v>,
}

impl<'v> Val for Metered<'v> {
    fn get_type(&self) -> &Type {
        self.inner.get_type()
    }

    fn cel_type() -> &'static Type
    where
        Self: Sized,
    {
        &cel::common::types::LIST_TYPE
    }

    fn as_iterable<'b, 'w>(&'b self) -> Option<&'b (dyn Iterable + 'w)>
    where
        Self: 'w,
    {
        Some(self)
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        self.inner.as_sizer()
    }

    fn equals(&self, other: &dyn Val) -> bool {
        self.inner.equals(other)
    }

    fn clone_as_boxed<'w>(&self) -> Box<dyn Val + 'w>
    where
        Self: 'w,
    {
        Box::new(Metered {
            inner: self.inner.clone_as_boxed(),
        })
    }
}

impl<'v> Iterable for Metered<'v> {
    fn iter<'b, 'w>(&'b self) -> Box<dyn CelIterator<'b, 'w> + 'b>
    where
        Self: 'w,
    {
        let inner: Option<Box<dyn CelIterator<'b, 'v> + 'b>> =
            self.inner.as_iterable().map(|iterable| iterable.iter());
        Box::new(MeteredIterator { inner })
    }
}

struct MeteredIterator<'b, 'v> {
    inner: Option<Box<dyn CelIterator<'b, 'v> + 'b>>,
}

impl<'b, 'v: 'w, 'w> CelIterator<'b, 'w> for MeteredIterator<'b, 'v> {
    fn next(&mut self) -> Option<&'b (dyn Val + 'w)> {
        let element: &'b (dyn Val + 'v) = self.inner.as_mut()?.next()?;
        charge(1, 0).ok()?;
        Some(element)
    }
}

/// `@custos_join(list, sep?)`: `join` of the strings extension, its result measured before it
/// is built.
pub const JOIN: &str = "@custos_join";

fn join<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (list, separator) = match args.as_slice() {
        [list] => (list, ""),
        [list, separator] => (list, text(separator.as_ref(), "join")?),
        _ => return Err(ExecutionError::invalid_argument_count(2, args.len())),
    };
    let Some(iterable) = list.as_iterable() else {
        return Err(ExecutionError::function_error(
            "join",
            format!("expected a list, got {}", list.get_type().name()),
        ));
    };
    let mut parts = Vec::new();
    let mut total = 0usize;
    let mut elements = iterable.iter();
    while let Some(element) = elements.next() {
        let part = text(element, "join")?;
        total = total
            .saturating_add(part.len())
            .saturating_add(if parts.is_empty() { 0 } else { separator.len() });
        if total > MAX_STRING_BYTES {
            return Err(ExecutionError::function_error(
                "join",
                format!("it would build a text of more than {MAX_STRING_BYTES} bytes, the limit"),
            ));
        }
        parts.push(part);
    }
    charge(0, total as u64)?;
    Ok(CowVal::owned(CelString::from(parts.join(separator))))
}

fn text<'a>(value: &'a dyn Val, function: &str) -> Result<&'a str, ExecutionError> {
    value
        .downcast_ref::<CelString>()
        .map(|text| text.inner())
        .ok_or_else(|| {
            ExecutionError::function_error(
                function,
                format!("expected a string, got {}", value.get_type().name()),
            )
        })
}

fn int(value: &dyn Val, function: &str) -> Result<i64, ExecutionError> {
    value
        .downcast_ref::<CelInt>()
        .map(|int| *int.inner())
        .ok_or_else(|| {
            ExecutionError::function_error(
                function,
                format!("expected an int, got {}", value.get_type().name()),
            )
        })
}

/// `@custos_matches(text, pattern)`: whether the pattern (RE2 syntax, as CEL's) finds a match.
pub const MATCHES: &str = "@custos_matches";

fn matches<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [subject, pattern] = args.as_slice() else {
        return Err(ExecutionError::invalid_argument_count(2, args.len()));
    };
    let subject = text(subject.as_ref(), "matches")?;
    let regex = compiled_pattern(text(pattern.as_ref(), "matches")?)
        .map_err(|message| ExecutionError::function_error("matches", message))?;
    charge(0, subject.len() as u64)?;
    Ok(CowVal::owned(CelBool::from(regex.is_match(subject))))
}

static PATTERNS: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `pattern` compiled with bounded program and cache sizes, once per process (for the first
/// [`MAX_CACHED_PATTERNS`] patterns). The error says why the pattern cannot be used.
pub fn compiled_pattern(pattern: &str) -> Result<Arc<Regex>, String> {
    let cache = || {
        PATTERNS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some(regex) = cache().get(pattern) {
        return Ok(Arc::clone(regex));
    }
    let regex = RegexBuilder::new(pattern)
        .size_limit(MAX_PATTERN_PROGRAM_BYTES)
        .dfa_size_limit(MAX_PATTERN_PROGRAM_BYTES)
        .build()
        .map(Arc::new)
        .map_err(|error| format!("the pattern {pattern:?} cannot be used: {error}"))?;
    let mut cache = cache();
    if cache.len() < MAX_CACHED_PATTERNS {
        cache.insert(pattern.to_owned(), Arc::clone(&regex));
    }
    Ok(regex)
}

/// `@custos_index_of(text, needle, offset?)` and `@custos_last_index_of(...)`: the strings
/// extension's `indexOf` and `lastIndexOf` (code-point indices, the same errors), searching in
/// linear time where the extension compares at every position.
pub const INDEX_OF: &str = "@custos_index_of";
pub const LAST_INDEX_OF: &str = "@custos_last_index_of";

fn index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    search(&args, "indexOf", false)
}

fn last_index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    search(&args, "lastIndexOf", true)
}

fn search<'b, 'v>(
    args: &[CowVal<'_, '_>],
    function: &str,
    last: bool,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (haystack, needle, offset) = match args {
        [haystack, needle] => (haystack, needle, None),
        [haystack, needle, offset] => (haystack, needle, Some(int(offset.as_ref(), function)?)),
        _ => return Err(ExecutionError::invalid_argument_count(3, args.len())),
    };
    let haystack = text(haystack.as_ref(), function)?;
    let needle = text(needle.as_ref(), function)?;
    charge(0, haystack.len() as u64)?;
    let length = haystack.chars().count() as i64;
    let out_of_range = |index: i64| {
        ExecutionError::function_error(function, format!("index out of range: {index}"))
    };
    // Byte offset of code point `index` (the end for `length`).
    let byte_at = |index: i64| {
        haystack
            .char_indices()
            .map(|(byte, _)| byte)
            .nth(usize::try_from(index).unwrap_or(usize::MAX))
            .unwrap_or(haystack.len())
    };
    let code_point_at = |byte: usize| haystack[..byte].chars().count() as i64;
    let found = match offset {
        Some(offset) if offset < 0 => return Err(out_of_range(offset)),
        Some(offset) if needle.is_empty() => Some(offset.min(length)),
        Some(offset) if offset >= length => return Err(out_of_range(offset)),
        Some(offset) if last => {
            // The last match starting at or before `offset`.
            let end = byte_at(offset)
                .saturating_add(needle.len())
                .min(haystack.len());
            let end = (end..=haystack.len())
                .find(|&end| haystack.is_char_boundary(end))
                .unwrap_or(haystack.len());
            haystack[..end].rfind(needle).map(code_point_at)
        }
        Some(offset) => {
            let start = byte_at(offset);
            haystack[start..]
                .find(needle)
                .map(|byte| code_point_at(start + byte))
        }
        None if last => haystack.rfind(needle).map(code_point_at),
        None => haystack.find(needle).map(code_point_at),
    };
    Ok(CowVal::owned(CelInt::from(found.unwrap_or(-1))))
}

/// Declares the budgeted functions on `env`. They are named with an `@`, which expressions
/// cannot write: only the compiler's rewrite calls them (see `expression::guard`).
pub fn declare(env: &mut cel::Env) {
    use cel::common::types::DYN_TYPE;
    let declarations: [(&str, &str, Vec<Type>, cel::common::functions::Function); 9] = [
        (SIZED, "custos_sized", vec![DYN_TYPE], sized),
        (ITERATE, "custos_iterate", vec![DYN_TYPE], iterate),
        (JOIN, "custos_join", vec![DYN_TYPE], join),
        (JOIN, "custos_join_sep", vec![DYN_TYPE, DYN_TYPE], join),
        (MATCHES, "custos_matches", vec![DYN_TYPE, DYN_TYPE], matches),
        (
            INDEX_OF,
            "custos_index_of",
            vec![DYN_TYPE, DYN_TYPE],
            index_of,
        ),
        (
            INDEX_OF,
            "custos_index_of_offset",
            vec![DYN_TYPE, DYN_TYPE, DYN_TYPE],
            index_of,
        ),
        (
            LAST_INDEX_OF,
            "custos_last_index_of",
            vec![DYN_TYPE, DYN_TYPE],
            last_index_of,
        ),
        (
            LAST_INDEX_OF,
            "custos_last_index_of_offset",
            vec![DYN_TYPE, DYN_TYPE, DYN_TYPE],
            last_index_of,
        ),
    ];
    for (name, id, arguments, function) in declarations {
        // Fixed and distinct declarations: failing would be a bug caught by any test.
        env.add_overload(name, id, arguments, function)
            .expect("budgeted functions are declared once");
    }
}

#[cfg(test)]
mod tests {
    use super::super::expression::{ENV, Expecting, Failure, compile};
    use super::*;
    use cel::Context;
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    /// Runs `source` with a list of `list` ints as `resource` (built directly, so the data's
    /// size limits do not apply) and `text` as `project`, both borrowed as policies' data is.
    fn run(
        source: &str,
        list: usize,
        text: &str,
        deadline: Instant,
    ) -> Result<cel::Value, Failure> {
        let compiled = compile(source, &[], Expecting::Anything).expect("compiles");
        let mut context = Context::with_env(Arc::clone(&ENV));
        let ints: Vec<Box<dyn Val>> = (0..list as i64)
            .map(|i| Box::new(CelInt::from(i)) as Box<dyn Val>)
            .collect();
        context.add_variable_as_val(
            "resource",
            Box::new(cel::common::types::CelList::from(ints)),
        );
        context.add_variable_as_val("project", Box::new(CelString::from(text)));
        compiled.execute(&context, deadline)
    }

    fn stopped(result: Result<cel::Value, Failure>) -> String {
        match result {
            Err(Failure::Stopped(Exceeded(reason))) => reason,
            other => panic!("expected the budget to stop it, got {other:?}"),
        }
    }

    #[test]
    fn comprehension_steps_are_counted_and_bounded() {
        let pairs = "resource.all(a, resource.all(b, a == b || true))";
        assert_eq!(run(pairs, 100, "", later()), Ok(cel::Value::Bool(true)));
        // 3,000 x 3,000: more than the 2,000,000 steps.
        let reason = stopped(run(pairs, 3_000, "", later()));
        assert!(
            reason.contains(&format!("more than {MAX_STEPS_PER_EVALUATION} steps")),
            "{reason}"
        );
        // `exists` stops early: only the steps taken count.
        assert_eq!(
            run(
                "resource.exists(a, resource.exists(b, b == 1))",
                3_000,
                "",
                later()
            ),
            Ok(cel::Value::Bool(true))
        );
    }

    #[test]
    fn built_values_are_measured_before_they_exhaust_memory() {
        let text = "x".repeat(100_000);
        // A list of 100,000 references to a 100,000-byte text: 10 GB once joined.
        let reason = stopped(run(
            "size(project.split('').map(a, project).join('')) > 0",
            0,
            &text,
            later(),
        ));
        assert!(reason.contains("bytes of text and lists"), "{reason}");
        // Text grown by `+` in a comprehension is measured at each step.
        let reason = stopped(run(
            "resource.map(i, project + project).size() > 0",
            1_000,
            &text,
            later(),
        ));
        assert!(reason.contains("bytes"), "{reason}");
        // One text larger than the limit is refused as it is built, even with budget left.
        let big = "x".repeat(MAX_STRING_BYTES / 2 + 1);
        let error = run("size(project + project) > 0", 0, &big, later()).unwrap_err();
        assert!(error.to_string().contains("builds a text of"), "{error}");
        // Small work stays within the budget and gives CEL's answers.
        assert_eq!(
            run("'a,b,c'.split(',').join('-')", 0, "", later()),
            Ok(cel::Value::from("a-b-c"))
        );
    }

    #[test]
    fn the_policy_deadline_stops_an_evaluation() {
        let reason = stopped(run("resource.all(a, a >= 0)", 10, "", Instant::now()));
        assert!(reason.contains("ran out of time"), "{reason}");
    }

    #[test]
    fn searches_behave_as_the_strings_extension_in_linear_time() {
        for (source, expected) in [
            ("'hello mellow'.indexOf('ello')", 1),
            ("'hello mellow'.indexOf('ello', 2)", 7),
            ("'hello mellow'.indexOf('jello')", -1),
            ("'hello mellow'.indexOf('', 3)", 3),
            ("'hello mellow'.lastIndexOf('ello')", 7),
            ("'hello mellow'.lastIndexOf('ello', 6)", 1),
            ("'hello mellow'.lastIndexOf('ello', 7)", 7),
            ("'ééxé'.indexOf('x')", 2),
            ("'ééxé'.lastIndexOf('é')", 3),
        ] {
            assert_eq!(
                run(source, 0, "", later()),
                Ok(cel::Value::Int(expected)),
                "{source}"
            );
        }
        assert!(run("'abc'.indexOf('a', 5)", 0, "", later()).is_err());
        // A needle half the haystack's size: the extension compared at every position.
        let text = format!("{}b", "a".repeat(500_000));
        assert_eq!(
            run(
                "project.indexOf(project.substring(250000))",
                0,
                &text,
                later()
            ),
            Ok(cel::Value::Int(250_000))
        );
    }

    #[test]
    fn patterns_are_compiled_once_with_size_limits() {
        assert_eq!(
            run("'prod-api'.matches('^prod-')", 0, "", later()),
            Ok(cel::Value::Bool(true))
        );
        assert_eq!(
            run("matches('dev', '^prod-')", 0, "", later()),
            Ok(cel::Value::Bool(false))
        );
        let first = compiled_pattern("^cached-[0-9]+$").unwrap();
        assert!(Arc::ptr_eq(
            &first,
            &compiled_pattern("^cached-[0-9]+$").unwrap()
        ));
        // A pattern whose compiled program exceeds the limit is refused, not built.
        let huge = "\\w{1000}\\w{1000}\\w{1000}";
        assert!(
            compiled_pattern(huge)
                .unwrap_err()
                .contains("cannot be used")
        );
        let error = run("project.matches(project)", 0, huge, later()).unwrap_err();
        assert!(error.to_string().contains("cannot be used"), "{error}");
    }
}
