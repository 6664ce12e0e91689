//! Where one input's parts are written before they become part of the case.
//!
//! Parts go to `.staging/<id>/`; [`Case::commit_input`](crate::Case::commit_input)
//! moves the whole events folder into place with one rename, moves the rejects
//! file, and appends the manifest line last. Until that line exists the input is
//! not part of the case: queries read only inputs listed in the manifest, and a
//! writer removes leftovers of an interrupted ingest before it starts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use waybill_model::schema::RejectRow;
use waybill_model::sink::{BoxError, PartSink};

use crate::StoreError;

/// Parquet settings of every event part: zstd level 1 (fast; evidence-grade
/// compression is not the point), dictionary encoding, page statistics for pruning.
pub fn writer_properties() -> WriterProperties {
    writer_properties_builder().build()
}

/// The settings for one batch: as [`writer_properties`], but columns that are
/// entirely null in the batch are left uncompressed — their pages are a few bytes
/// of definition levels, and each zstd context costs more than it saves (a
/// context is created per compressed page; measured with `bench_ingest`).
pub fn writer_properties_for(batch: &RecordBatch) -> WriterProperties {
    let mut b = writer_properties_builder();
    for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
        if col.null_count() == col.len() {
            b = b.set_column_compression(field.name().as_str().into(), Compression::UNCOMPRESSED);
        }
    }
    b.build()
}

fn writer_properties_builder() -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_dictionary_enabled(true)
        // Columns that are nearly unique per row gain nothing from a dictionary and
        // cost its interning on the hot path.
        .set_column_dictionary_enabled("record".into(), false)
        .set_column_dictionary_enabled("seq".into(), false)
        .set_column_dictionary_enabled("ts".into(), false)
        .set_column_dictionary_enabled("url".into(), false)
        .set_column_dictionary_enabled("attrs".into(), false)
        .set_column_dictionary_enabled("size".into(), false)
        // Min/max per row group on the columns queries filter on (time, kind,
        // hashes, URL, path, source); none on free text that no range prunes.
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_column_statistics_enabled("record".into(), EnabledStatistics::None)
        .set_column_statistics_enabled("attrs".into(), EnabledStatistics::None)
        .set_column_statistics_enabled("user_agent".into(), EnabledStatistics::None)
        .set_column_statistics_enabled("referrer".into(), EnabledStatistics::None)
        .set_column_statistics_enabled("seq".into(), EnabledStatistics::None)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_created_by(format!("waybill {}", env!("CARGO_PKG_VERSION")))
}

/// The staging folder of one input; a [`PartSink`].
pub struct Staging {
    pub(crate) id: String,
    pub(crate) dir: PathBuf,
    reject_parts: Mutex<Vec<u32>>,
}

impl Staging {
    pub(crate) fn create(dir: PathBuf, id: String) -> Result<Self, StoreError> {
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        fs_err::create_dir_all(dir.join("events"))?;
        fs_err::create_dir_all(dir.join("rejects"))?;
        Ok(Self { id, dir, reject_parts: Mutex::new(Vec::new()) })
    }

    /// The manifest id this input will get.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn write_events(&self, part: u32, batch: &RecordBatch) -> Result<(), StoreError> {
        self.write_parquet("events", part, batch)
    }

    fn write_parquet(&self, table: &str, part: u32, batch: &RecordBatch) -> Result<(), StoreError> {
        let dir = self.dir.join(table);
        fs_err::create_dir_all(&dir)?;
        let path = dir.join(format!("part-{part:05}.parquet"));
        let file = fs_err::File::create(&path)?;
        let mut w = ArrowWriter::try_new(file.into_file(), batch.schema(), Some(writer_properties_for(batch)))
            .map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
        w.write(batch).map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
        let f = w.into_inner().map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
        f.sync_all().map_err(|e| StoreError::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))))?;
        Ok(())
    }

    fn write_rejects(&self, part: u32, rows: &[RejectRow]) -> Result<(), StoreError> {
        let path = self.reject_part_path(part);
        let mut buf = Vec::with_capacity(rows.len() * 160);
        for r in rows {
            let line = serde_json::json!({
                "source": self.id,
                "record": r.record,
                "code": r.reason.code(),
                "reason": r.reason.to_string(),
                "excerpt": r.excerpt.value(),
                "excerpt_encoding": r.excerpt.encoding(),
            });
            serde_json::to_writer(&mut buf, &line).map_err(|e| StoreError::layout(&path, &e.to_string()))?;
            buf.push(b'\n');
        }
        let mut f = fs_err::OpenOptions::new().create(true).append(true).open(&path)?;
        f.write_all(&buf)?;
        let mut parts = self.reject_parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !parts.contains(&part) {
            parts.push(part);
        }
        Ok(())
    }

    fn reject_part_path(&self, part: u32) -> PathBuf {
        self.dir.join("rejects").join(format!("part-{part:05}.jsonl"))
    }

    /// Concatenates the reject parts in part order into one file; `None` when
    /// there were no rejects.
    pub(crate) fn merge_rejects(&self) -> Result<Option<PathBuf>, StoreError> {
        let mut parts = self.reject_parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if parts.is_empty() {
            return Ok(None);
        }
        parts.sort_unstable();
        let out_path = self.dir.join("rejects.jsonl");
        let mut out = fs_err::File::create(&out_path)?;
        for p in parts {
            let mut f = fs_err::File::open(self.reject_part_path(p))?;
            std::io::copy(&mut f, &mut out)?;
        }
        out.sync_all()?;
        Ok(Some(out_path))
    }

    pub(crate) fn events_dir(&self) -> PathBuf {
        self.dir.join("events")
    }

    /// Number of event part files written.
    pub fn event_parts(&self) -> Result<usize, StoreError> {
        Ok(fs_err::read_dir(self.events_dir())?.count())
    }

    pub(crate) fn sync_events(&self) -> Result<(), StoreError> {
        crate::atomic::sync_dir(&self.events_dir())
    }
}

impl PartSink for Staging {
    fn events(&self, part: u32, batch: RecordBatch) -> Result<(), BoxError> {
        self.write_events(part, &batch).map_err(|e| Box::new(e) as BoxError)
    }

    fn rejects(&self, part: u32, rows: &[RejectRow]) -> Result<(), BoxError> {
        self.write_rejects(part, rows).map_err(|e| Box::new(e) as BoxError)
    }

    fn content(&self, part: u32, batch: RecordBatch) -> Result<(), BoxError> {
        self.write_parquet("content", part, &batch).map_err(|e| Box::new(e) as BoxError)
    }
}

/// Does `path` look like a staging folder left by a crash?
pub(crate) fn is_leftover(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('I'))
}
