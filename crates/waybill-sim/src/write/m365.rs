//! Microsoft 365 unified audit log records (SharePoint/OneDrive workloads) as
//! JSON Lines: one `AuditData` object per line, as the Management Activity API
//! and `Search-UnifiedAuditLog … | Select -Expand AuditData` give them.
//! `CreationTime` is UTC without a zone suffix, whole seconds.

use std::io::Write as _;
use std::path::Path;

use crate::world::CloudOp;
use crate::write::rfc3339;

/// Writes the records in time order.
pub fn write(path: &Path, ops: &[CloudOp]) -> std::io::Result<usize> {
    let mut ops: Vec<&CloudOp> = ops.iter().collect();
    ops.sort_by_key(|o| o.ts);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (i, o) in ops.iter().enumerate() {
        let created = rfc3339(o.ts);
        let created = created.get(..19).unwrap_or(&created);
        let rec = serde_json::json!({
            "CreationTime": created,
            "Id": format!("7b3c0c01-0000-4000-8000-{:012x}", i + 1),
            "Operation": o.operation,
            "OrganizationId": "4a5b6c7d-0000-4000-8000-000000000001",
            "RecordType": 6,
            "UserKey": format!("i:0h.f|membership|{}", o.user),
            "UserType": 0,
            "Version": 1,
            "Workload": "SharePoint",
            "ClientIP": o.client_ip,
            "ObjectId": format!("{}{}/{}", o.site, o.folder, o.name),
            "UserId": o.user,
            "EventSource": "SharePoint",
            "ItemType": "File",
            "SiteUrl": o.site,
            "SourceRelativeUrl": o.folder,
            "SourceFileName": o.name,
            "SourceFileExtension": o.name.rsplit('.').next().unwrap_or(""),
            "FileSizeBytes": o.size,
            "UserAgent": o.user_agent,
        });
        writeln!(f, "{rec}")?;
    }
    f.flush()?;
    Ok(ops.len())
}
