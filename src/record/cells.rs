//! A record's CSV cells straight from its serde form: no JSON tree in
//! between. Cells are what `csv_cell` of the JSON value would give: strings as
//! they are, numbers as JSON writes them, lists joined by `;`, absent values
//! empty. Nested objects are not a cell shape: [`csv_cells`] then says `None`
//! and the caller takes the JSON path.

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Why a value is not a row of cells.
#[derive(Debug)]
pub struct NotCells;

impl std::fmt::Display for NotCells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a row of CSV cells")
    }
}

impl std::error::Error for NotCells {}

impl ser::Error for NotCells {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotCells
    }
}

/// The cells of `value` (a struct or a map, flattened fields included) in the
/// order of `columns`; a column the value does not have is empty, a field
/// not among the columns is left out. `None` when a field is not a cell
/// shape (a nested object).
pub fn csv_cells<T: Serialize + ?Sized>(value: &T, columns: &[&str]) -> Option<Vec<String>> {
    let mut row = Row {
        columns,
        cells: vec![String::new(); columns.len()],
        key: None,
        names: None,
    };
    value.serialize(&mut row).ok()?;
    Some(row.cells)
}

/// The names of the fields `value` writes, in order (absent optional fields
/// left out): what a CSV header must hold for it.
pub fn field_names<T: Serialize + ?Sized>(value: &T) -> Vec<String> {
    let mut row = Row {
        columns: &[],
        cells: Vec::new(),
        key: None,
        names: Some(Vec::new()),
    };
    let _ = value.serialize(&mut row);
    row.names.unwrap_or_default()
}

/// A struct or map serialised into cells (and, when asked, its field names).
struct Row<'c> {
    columns: &'c [&'c str],
    cells: Vec<String>,
    key: Option<String>,
    names: Option<Vec<String>>,
}

impl Row<'_> {
    fn put<V: Serialize + ?Sized>(&mut self, key: &str, value: &V) -> Result<(), NotCells> {
        if let Some(names) = &mut self.names {
            names.push(key.to_string());
        }
        if let Some(i) = self.columns.iter().position(|c| *c == key) {
            self.cells[i] = value.serialize(Cell)?;
        }
        Ok(())
    }
}

/// Everything but a struct or a map is not a row.
macro_rules! not_a_row {
    ($($f:ident($($t:ty),*)),* $(,)?) => {
        $(fn $f(self, $(_: $t),*) -> Result<Self::Ok, NotCells> { Err(NotCells) })*
    };
}

impl<'a, 'c> ser::Serializer for &'a mut Row<'c> {
    type Ok = ();
    type Error = NotCells;
    type SerializeSeq = Impossible<(), NotCells>;
    type SerializeTuple = Impossible<(), NotCells>;
    type SerializeTupleStruct = Impossible<(), NotCells>;
    type SerializeTupleVariant = Impossible<(), NotCells>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotCells>;

    not_a_row!(
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
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), NotCells> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), NotCells> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotCells> {
        Err(NotCells)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotCells> {
        Err(NotCells)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotCells> {
        Err(NotCells)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotCells> {
        Err(NotCells)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotCells> {
        Err(NotCells)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, NotCells> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, NotCells> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotCells> {
        Err(NotCells)
    }
}

impl ser::SerializeStruct for &mut Row<'_> {
    type Ok = ();
    type Error = NotCells;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotCells> {
        self.put(key, value)
    }
    fn end(self) -> Result<(), NotCells> {
        Ok(())
    }
}

impl ser::SerializeMap for &mut Row<'_> {
    type Ok = ();
    type Error = NotCells;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotCells> {
        self.key = Some(key.serialize(Cell)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotCells> {
        let key = self.key.take().ok_or(NotCells)?;
        self.put(&key, value)
    }
    fn end(self) -> Result<(), NotCells> {
        Ok(())
    }
}

/// One cell's text.
struct Cell;

/// Numbers as JSON writes them (floats through serde_json, for the same digits).
fn json_number<T: Serialize>(v: T) -> Result<String, NotCells> {
    serde_json::to_string(&v).map_err(|_| NotCells)
}

impl ser::Serializer for Cell {
    type Ok = String;
    type Error = NotCells;
    type SerializeSeq = List;
    type SerializeTuple = Impossible<String, NotCells>;
    type SerializeTupleStruct = Impossible<String, NotCells>;
    type SerializeTupleVariant = Impossible<String, NotCells>;
    type SerializeMap = Impossible<String, NotCells>;
    type SerializeStruct = Impossible<String, NotCells>;
    type SerializeStructVariant = Impossible<String, NotCells>;

    fn serialize_bool(self, v: bool) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<String, NotCells> {
        json_number(v)
    }
    fn serialize_f64(self, v: f64) -> Result<String, NotCells> {
        json_number(v)
    }
    fn serialize_char(self, v: char) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, NotCells> {
        Err(NotCells)
    }
    fn serialize_none(self) -> Result<String, NotCells> {
        Ok(String::new())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<String, NotCells> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, NotCells> {
        Ok(String::new())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, NotCells> {
        Ok(String::new())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, NotCells> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, NotCells> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, NotCells> {
        Err(NotCells)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<List, NotCells> {
        Ok(List(Vec::new()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotCells> {
        Err(NotCells)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotCells> {
        Err(NotCells)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotCells> {
        Err(NotCells)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotCells> {
        Err(NotCells)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotCells> {
        Err(NotCells)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotCells> {
        Err(NotCells)
    }
}

/// A list cell: its items' cells joined by `;`.
struct List(Vec<String>);

impl ser::SerializeSeq for List {
    type Ok = String;
    type Error = NotCells;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NotCells> {
        self.0.push(v.serialize(Cell)?);
        Ok(())
    }
    fn end(self) -> Result<String, NotCells> {
        Ok(self.0.join(";"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Key {
        ts: f64,
        flow_id: u64,
    }

    #[derive(Serialize)]
    struct Rec {
        #[serde(flatten)]
        id: Key,
        #[serde(skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        answers: Vec<String>,
        ttls: Vec<u32>,
        ok: bool,
        rtt: Option<f64>,
    }

    fn rec() -> Rec {
        Rec {
            id: Key {
                ts: 1507397119.183714,
                flow_id: 7,
            },
            query: None,
            answers: vec!["192.0.2.1".into(), "x.example".into()],
            ttls: vec![60, 300],
            ok: true,
            rtt: Some(0.0125),
        }
    }

    #[test]
    fn cells_are_what_the_json_path_gives() {
        let cols = [
            "ts", "flow_id", "query", "answers", "ttls", "ok", "rtt", "extra",
        ];
        let cells = csv_cells(&rec(), &cols).unwrap();
        let json = serde_json::to_value(rec()).unwrap();
        let via_json: Vec<String> = cols
            .iter()
            .map(|c| crate::dissect::csv_cell(&json[*c]))
            .collect();
        assert_eq!(cells, via_json);
        assert_eq!(cells[0], "1507397119.183714");
        assert_eq!(cells[3], "192.0.2.1;x.example");
        assert_eq!(cells[2], "", "an absent field is empty");
    }

    #[test]
    fn names_follow_the_serialised_fields_and_nested_objects_are_refused() {
        assert_eq!(
            field_names(&rec()),
            ["ts", "flow_id", "answers", "ttls", "ok", "rtt"]
        );
        let mut nested = BTreeMap::new();
        nested.insert("a", BTreeMap::from([("b", 1)]));
        assert!(csv_cells(&nested, &["a"]).is_none());
    }
}
