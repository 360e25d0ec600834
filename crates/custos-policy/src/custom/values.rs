//! JSON as CEL values. The conversion borrows every string from the JSON it reads, so a
//! resource costs one pass and no string copies; it refuses data too large or too deep for an
//! expression to walk within the cost limit (see [`super::limits`]).

use super::limits::{MAX_DATA_DEPTH, MAX_LIST_LEN, MAX_STRING_BYTES};
use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull};
use cel::common::types::{CelString, CelUInt};
use cel::common::value::Val;
use serde_json::Value;
use std::collections::HashMap;

/// Data an expression may not see: a list longer than [`MAX_LIST_LEN`], a text longer than
/// [`MAX_STRING_BYTES`] or nesting deeper than [`MAX_DATA_DEPTH`]. The message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataTooLarge(pub String);

/// `value` as a CEL value borrowing its strings.
pub fn to_cel(value: &Value) -> Result<Box<dyn Val + '_>, DataTooLarge> {
    convert(value, 0, &mut Vec::new())
}

fn convert<'a>(
    value: &'a Value,
    depth: usize,
    path: &mut Vec<&'a str>,
) -> Result<Box<dyn Val + 'a>, DataTooLarge> {
    if depth > MAX_DATA_DEPTH {
        return Err(DataTooLarge(format!(
            "`{}` nests more than {MAX_DATA_DEPTH} levels deep",
            path.join(".")
        )));
    }
    Ok(match value {
        Value::Null => Box::new(CelNull),
        Value::Bool(flag) => Box::new(CelBool::from(*flag)),
        Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(int), _) => Box::new(CelInt::from(int)),
            (None, Some(uint)) => Box::new(CelUInt::from(uint)),
            _ => Box::new(CelDouble::from(number.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(text) if text.len() > MAX_STRING_BYTES => {
            return Err(DataTooLarge(format!(
                "`{}` is a text of {} bytes, more than the {MAX_STRING_BYTES} an expression may read",
                path.join("."),
                text.len()
            )));
        }
        Value::String(text) => Box::new(CelString::from(text.as_str())),
        Value::Array(items) => {
            if items.len() > MAX_LIST_LEN {
                return Err(DataTooLarge(format!(
                    "`{}` has {} elements, more than the {MAX_LIST_LEN} an expression may walk",
                    path.join("."),
                    items.len()
                )));
            }
            let list = items
                .iter()
                .map(|item| convert(item, depth + 1, path))
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(CelList::from(list))
        }
        Value::Object(fields) => {
            if fields.len() > MAX_LIST_LEN {
                return Err(DataTooLarge(format!(
                    "`{}` has {} fields, more than the {MAX_LIST_LEN} an expression may walk",
                    path.join("."),
                    fields.len()
                )));
            }
            let mut map = HashMap::with_capacity(fields.len());
            for (name, field) in fields {
                path.push(name);
                let converted = convert(field, depth + 1, path);
                path.pop();
                map.insert(CelMapKey::from(name.as_str()), converted?);
            }
            Box::new(CelMap::from(map))
        }
    })
}

/// A CEL result as a message shows it: strings bare, everything else as JSON would write it.
pub fn display(value: &cel::Value) -> String {
    match value {
        cel::Value::String(text) => text.to_string(),
        cel::Value::Int(int) => int.to_string(),
        cel::Value::UInt(uint) => uint.to_string(),
        cel::Value::Float(float) => float.to_string(),
        cel::Value::Bool(flag) => flag.to_string(),
        cel::Value::Null => "null".to_owned(),
        cel::Value::List(items) => format!(
            "[{}]",
            items.iter().map(display).collect::<Vec<_>>().join(", ")
        ),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_long_lists_and_deep_nesting_naming_the_field() {
        let long = json!({"tags": vec![1; MAX_LIST_LEN + 1]});
        let error = to_cel(&long).unwrap_err();
        assert!(error.0.contains("`tags`"), "{error}");
        let mut deep = json!(1);
        for _ in 0..=MAX_DATA_DEPTH {
            deep = json!({ "a": deep });
        }
        assert!(to_cel(&deep).is_err());
        let long_text = json!({"name": "x".repeat(MAX_STRING_BYTES + 1)});
        assert!(to_cel(&long_text).unwrap_err().0.contains("`name`"));
        assert!(to_cel(&json!({"a": [1, "x", null, 1.5, u64::MAX]})).is_ok());
    }
}
