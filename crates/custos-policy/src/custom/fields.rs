//! The parts of an object that expressions read, and the object serialized to JSON with only
//! those parts.
//!
//! A filter such as `resource.owner.type == "user"` reads one string of a key; converting the
//! whole key (its owner, the owner's user, every field) for each of hundreds of thousands of keys
//! would be most of the work of evaluating it. The same tree decides what a failure's evidence
//! shows: the values the filters read.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What is read of a value: all of it, or some of its fields (none at all when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldTree {
    Whole,
    Fields(BTreeMap<String, FieldTree>),
}

impl Default for FieldTree {
    fn default() -> Self {
        FieldTree::Fields(BTreeMap::new())
    }
}

impl FieldTree {
    /// Marks `path` read: `["owner", "type"]` for `x.owner.type`, `[]` for `x` itself.
    pub fn add(&mut self, path: &[&str]) {
        let Some((first, rest)) = path.split_first() else {
            *self = FieldTree::Whole;
            return;
        };
        if let FieldTree::Fields(fields) = self {
            fields.entry((*first).to_owned()).or_default().add(rest);
        }
    }

    pub fn union(&mut self, other: &FieldTree) {
        match (&mut *self, other) {
            (FieldTree::Whole, _) => {}
            (_, FieldTree::Whole) => *self = FieldTree::Whole,
            (FieldTree::Fields(mine), FieldTree::Fields(theirs)) => {
                for (name, tree) in theirs {
                    mine.entry(name.clone()).or_default().union(tree);
                }
            }
        }
    }

    /// Nothing is read.
    pub fn is_empty(&self) -> bool {
        matches!(self, FieldTree::Fields(fields) if fields.is_empty())
    }

    /// `value` as JSON, keeping of its objects only the fields in the tree (absent ones stay
    /// absent). Values that are not objects are kept whole.
    pub fn to_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<Value, serde_json::Error> {
        match self {
            FieldTree::Whole => serde_json::to_value(value),
            FieldTree::Fields(fields) => value.serialize(Picker { fields }),
        }
    }

    /// What is read of the field `name`, if it is read at all.
    pub fn field(&self, name: &str) -> Option<&FieldTree> {
        static WHOLE: FieldTree = FieldTree::Whole;
        match self {
            FieldTree::Whole => Some(&WHOLE),
            FieldTree::Fields(fields) => fields.get(name),
        }
    }

    /// The part of `value` (already picked by a larger tree) that this tree reads, moved out;
    /// a field read but absent shows as null.
    pub fn take(&self, value: &mut Value) -> Value {
        match (self, value) {
            (FieldTree::Fields(fields), Value::Object(object)) => Value::Object(
                fields
                    .iter()
                    .map(|(name, tree)| {
                        let value = object
                            .get_mut(name.as_str())
                            .map_or(Value::Null, |field| tree.take(field));
                        (name.clone(), value)
                    })
                    .collect(),
            ),
            (_, value) => value.take(),
        }
    }
}

/// Serializes into `serde_json::Value`, dropping the fields of maps and structs that `fields`
/// does not name.
struct Picker<'t> {
    fields: &'t BTreeMap<String, FieldTree>,
}

/// An object under construction: the entries kept so far, and the tree of the key being written.
struct PickObject<'t> {
    fields: &'t BTreeMap<String, FieldTree>,
    object: Map<String, Value>,
    pending: Found<'t>,
}

impl<'t> PickObject<'t> {
    fn new(fields: &'t BTreeMap<String, FieldTree>) -> Self {
        PickObject {
            fields,
            object: Map::new(),
            pending: None,
        }
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        if let Some(tree) = self.fields.get(name) {
            self.object.insert(name.to_owned(), tree.to_json(value)?);
        }
        Ok(())
    }
}

impl ser::SerializeMap for PickObject<'_> {
    type Ok = Value;
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.pending = key.serialize(KeyLookup {
            fields: self.fields,
        })?;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        if let Some((name, tree)) = self.pending.take() {
            self.object.insert(name.clone(), tree.to_json(value)?);
        }
        Ok(())
    }

    fn end(self) -> Result<Value, Self::Error> {
        Ok(Value::Object(self.object))
    }
}

impl ser::SerializeStruct for PickObject<'_> {
    type Ok = Value;
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.field(name, value)
    }

    fn end(self) -> Result<Value, Self::Error> {
        Ok(Value::Object(self.object))
    }
}

/// Everything that is not an object is kept whole, as `serde_json::to_value` writes it.
macro_rules! whole_scalars {
    ($($method:ident($type:ty)),* $(,)?) => {
        $(fn $method(self, value: $type) -> Result<Value, serde_json::Error> {
            serde_json::to_value(value)
        })*
    };
}

impl<'t> ser::Serializer for Picker<'t> {
    type Ok = Value;
    type Error = serde_json::Error;
    type SerializeSeq = <serde_json::value::Serializer as ser::Serializer>::SerializeSeq;
    type SerializeTuple = <serde_json::value::Serializer as ser::Serializer>::SerializeTuple;
    type SerializeTupleStruct =
        <serde_json::value::Serializer as ser::Serializer>::SerializeTupleStruct;
    type SerializeTupleVariant =
        <serde_json::value::Serializer as ser::Serializer>::SerializeTupleVariant;
    type SerializeMap = PickObject<'t>;
    type SerializeStruct = PickObject<'t>;
    type SerializeStructVariant =
        <serde_json::value::Serializer as ser::Serializer>::SerializeStructVariant;

    whole_scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
    );

    fn serialize_none(self) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Self::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<Value, Self::Error> {
        serde_json::value::Serializer.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Self::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Self::Error> {
        serde_json::value::Serializer.serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        serde_json::value::Serializer.serialize_seq(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Self::Error> {
        serde_json::value::Serializer.serialize_tuple(len)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        serde_json::value::Serializer.serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        serde_json::value::Serializer.serialize_tuple_variant(name, index, variant, len)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Ok(PickObject::new(self.fields))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Ok(PickObject::new(self.fields))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        serde_json::value::Serializer.serialize_struct_variant(name, index, variant, len)
    }
}

/// Looks a map key up in the tree, without copying it. Keys that are not strings cannot be
/// named by a field selection, so they are never kept.
struct KeyLookup<'t> {
    fields: &'t BTreeMap<String, FieldTree>,
}

type Found<'t> = Option<(&'t String, &'t FieldTree)>;

macro_rules! unnamed_keys {
    ($($method:ident($type:ty)),* $(,)?) => {
        $(fn $method(self, _value: $type) -> Result<Found<'t>, serde_json::Error> {
            Ok(None)
        })*
    };
}

impl<'t> ser::Serializer for KeyLookup<'t> {
    type Ok = Found<'t>;
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<Found<'t>, serde_json::Error>;
    type SerializeTuple = Impossible<Found<'t>, serde_json::Error>;
    type SerializeTupleStruct = Impossible<Found<'t>, serde_json::Error>;
    type SerializeTupleVariant = Impossible<Found<'t>, serde_json::Error>;
    type SerializeMap = Impossible<Found<'t>, serde_json::Error>;
    type SerializeStruct = Impossible<Found<'t>, serde_json::Error>;
    type SerializeStructVariant = Impossible<Found<'t>, serde_json::Error>;

    unnamed_keys!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
    );

    fn serialize_str(self, name: &str) -> Result<Found<'t>, Self::Error> {
        Ok(self.fields.get_key_value(name))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Found<'t>, Self::Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Found<'t>, Self::Error> {
        value.serialize(self)
    }

    fn serialize_none(self) -> Result<Found<'t>, Self::Error> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<Found<'t>, Self::Error> {
        Ok(None)
    }

    fn serialize_unit(self) -> Result<Found<'t>, Self::Error> {
        Ok(None)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Found<'t>, Self::Error> {
        Ok(None)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Found<'t>, Self::Error> {
        Ok(None)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a list"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a tuple"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a tuple"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(ser::Error::custom("a map key cannot be a struct"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_model::api::ProjectApiKey;
    use serde_json::json;

    fn tree(paths: &[&[&str]]) -> FieldTree {
        let mut tree = FieldTree::default();
        for path in paths {
            tree.add(path);
        }
        tree
    }

    /// `value` restricted to `tree`, the slow way: what picking must equal.
    fn restrict(value: &Value, tree: &FieldTree) -> Value {
        match (tree, value) {
            (FieldTree::Fields(fields), Value::Object(object)) => Value::Object(
                fields
                    .iter()
                    .filter_map(|(name, tree)| {
                        Some((name.clone(), restrict(object.get(name)?, tree)))
                    })
                    .collect(),
            ),
            _ => value.clone(),
        }
    }

    fn key() -> ProjectApiKey {
        serde_json::from_value(json!({
            "object": "organization.project.api_key",
            "id": "key_1",
            "name": "ci",
            "created_at": 1_700_000_000,
            "last_used_at": null,
            "owner": {"type": "user", "user": {"id": "u1", "email": "a@example.com", "role": "owner"}},
            "a_field_the_model_does_not_know": {"nested": [1, 2]},
        }))
        .unwrap()
    }

    #[test]
    fn a_shorter_path_reads_the_whole_field_and_nothing_reads_nothing() {
        let mut owner_type = tree(&[&["owner", "type"]]);
        assert_eq!(owner_type.field("id"), None);
        assert!(!owner_type.is_empty() && FieldTree::default().is_empty());
        owner_type.union(&tree(&[&["owner"]]));
        assert_eq!(owner_type, tree(&[&["owner"], &["owner", "type"]]));
        assert_eq!(owner_type.field("owner"), Some(&FieldTree::Whole));
        let mut whole = tree(&[&[]]);
        whole.add(&["id"]);
        assert_eq!(whole, FieldTree::Whole);
        assert_eq!(whole.field("anything"), Some(&FieldTree::Whole));
    }

    #[test]
    fn picking_equals_the_whole_json_restricted_to_the_tree() {
        let key = key();
        let full = serde_json::to_value(&key).unwrap();
        for paths in [
            &[][..],
            &[&[][..]][..],
            &[&["id"][..], &["created_at"]],
            &[&["owner", "type"][..], &["owner", "user", "role"]],
            &[&["owner", "user"][..], &["owner", "type", "deeper"]],
            &[&["a_field_the_model_does_not_know", "nested"][..]],
            &[
                &["last_used_at"][..],
                &["not_there"],
                &["name", "not_an_object"],
            ],
        ] {
            let tree = tree(paths);
            assert_eq!(
                tree.to_json(&key).unwrap(),
                restrict(&full, &tree),
                "{paths:?}"
            );
        }
        assert_eq!(
            tree(&[&["owner", "type"], &["created_at"]])
                .to_json(&key)
                .unwrap(),
            json!({"owner": {"type": "user"}, "created_at": 1_700_000_000})
        );
    }

    #[test]
    fn taking_evidence_moves_the_values_out_and_shows_absent_ones_as_null() {
        let key = key();
        let reads = tree(&[
            &["owner", "type"],
            &["owner", "user", "id"],
            &["name"],
            &["gone"],
        ]);
        let mut picked = reads.to_json(&key).unwrap();
        let evidence = tree(&[&["owner", "type"], &["gone"], &["name", "inner"]]).take(&mut picked);
        assert_eq!(
            evidence,
            json!({"owner": {"type": "user"}, "gone": null, "name": "ci"})
        );
    }
}
