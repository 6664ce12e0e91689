//! Output of query results: aligned table, CSV, or JSON Lines. Timestamps are
//! always printed as RFC 3339 UTC with microseconds and `Z`.

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use waybill_model::Timestamp;

/// Formats one timestamp value of `unit` as RFC 3339 UTC.
pub fn format_ts(value: i64, unit: TimeUnit) -> String {
    let micros = match unit {
        TimeUnit::Second => value.saturating_mul(1_000_000),
        TimeUnit::Millisecond => value.saturating_mul(1_000),
        TimeUnit::Microsecond => value,
        TimeUnit::Nanosecond => value.div_euclid(1_000),
    };
    Timestamp::from_unix_micros(micros).map_or_else(|_| format!("{micros}us"), |t| t.to_string())
}

/// Replaces timestamp columns by their RFC 3339 text.
pub fn render_times(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| matches!(f.data_type(), DataType::Timestamp(..))) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (field, col) in schema.fields().iter().zip(batch.columns()) {
        if let DataType::Timestamp(unit, _) = field.data_type() {
            let ints = arrow::compute::cast(col, &DataType::Int64)?;
            let ints = ints.as_primitive::<arrow::datatypes::Int64Type>();
            let text: StringArray = (0..ints.len())
                .map(|i| if ints.is_null(i) { None } else { Some(format_ts(ints.value(i), *unit)) })
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, field.is_nullable()));
            columns.push(Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(col.clone());
        }
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// Prints batches as an aligned table.
pub fn table(out: &mut impl Write, batches: &[RecordBatch], schema: &arrow::datatypes::SchemaRef) -> Result<()> {
    let rendered: Vec<RecordBatch> = batches.iter().map(render_times).collect::<Result<_>>()?;
    if rendered.iter().all(|b| b.num_rows() == 0) {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        writeln!(out, "(no rows; columns: {})", names.join(", "))?;
        return Ok(());
    }
    writeln!(out, "{}", arrow::util::pretty::pretty_format_batches(&rendered)?)?;
    Ok(())
}

/// Writes batches as CSV (header once).
pub struct CsvOut<W: Write> {
    writer: arrow::csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    /// A CSV writer.
    pub fn new(w: W) -> Self {
        Self { writer: arrow::csv::WriterBuilder::new().with_header(true).build(w) }
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(&render_times(batch)?)?;
        Ok(())
    }
}

/// Writes batches as JSON Lines.
pub fn json_lines(out: &mut impl Write, batch: &RecordBatch) -> Result<()> {
    let mut w = arrow::json::LineDelimitedWriter::new(out);
    w.write(&render_times(batch)?)?;
    w.finish()?;
    Ok(())
}
