//! FAT and exFAT volumes made hostile: the fixtures of `fixtures/fat` (real
//! mkfs.fat/mtools (FAT12 and FAT32) and mkfs.exfat/exfat-fuse output) with bytes overwritten
//! at seeded places (boot sector, FATs, directories, data) are walked to the
//! end, every file read whole, without a panic or an endless loop; what
//! cannot be read is reported.

use std::io::{Cursor, Read};
use std::path::Path;

use waybill_ingest::Zone;
use waybill_ingest::fat::{Visit, walk};

/// (files read, bytes read, things skipped) or the volume's error.
fn walk_all(image: &[u8]) -> Result<(usize, u64, usize), String> {
    let mut cursor = Cursor::new(image);
    let (mut files, mut bytes, mut skipped) = (0, 0u64, 0);
    walk(&mut cursor, Zone::Utc, |e| e.to_string(), &mut |v| {
        match v {
            Visit::File { data, .. } => {
                files += 1;
                // A file cannot be longer than the volume it is read from.
                let mut sink = Vec::new();
                match data.take(image.len() as u64 + 1).read_to_end(&mut sink) {
                    Ok(n) => bytes += n as u64,
                    Err(_) => skipped += 1,
                }
            }
            Visit::Skipped { .. } => skipped += 1,
        }
        Ok(())
    })?;
    Ok((files, bytes, skipped))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fat").join(name)).expect("fixture")
}

#[test]
fn fat_and_exfat_volumes_read_whole_and_damaged_copies_never_panic() {
    // The FAT12 volume of the MBR disk starts at sector 128.
    let disk = fixture("mbr_fat12_lfn_fragmented_berlin.img");
    let fat = disk[128 * 512..].to_vec();
    let exfat = fixture("exfat_utc_offset_new_york.img");
    let mut fat32 = Vec::new();
    flate2::read::GzDecoder::new(fixture("fat32_volume_berlin.img.gz").as_slice())
        .read_to_end(&mut fat32)
        .expect("gunzip");
    // Clean: every file, all their bytes (8,320 + 3,540 + 51 + 45 + 0; the
    // exFAT card also holds grown.txt, 16,640).
    assert_eq!(walk_all(&fat), Ok((5, 11_956, 0)));
    assert_eq!(walk_all(&exfat), Ok((6, 28_596, 0)));
    assert_eq!(walk_all(&fat32), Ok((5, 11_956, 0)));
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (name, clean) in [("fat12", &fat), ("fat32", &fat32), ("exfat", &exfat)] {
        let (mut refused, mut read) = (0, 0);
        for _ in 0..300 {
            let mut bad = clean.clone();
            // Mostly the metadata at the front; now and then anywhere.
            let span = if next() % 4 == 0 { bad.len() } else { 64 << 10 };
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % span;
                let len = 1 + (next() as usize) % 64;
                let end = (at + len).min(bad.len());
                let fill = next() as u8;
                bad[at..end].iter_mut().for_each(|b| *b = fill);
            }
            match walk_all(&bad) {
                Ok(_) => read += 1,
                Err(_) => refused += 1,
            }
        }
        assert_eq!(read + refused, 300, "{name}");
        assert!(read > 0, "{name}: every damaged copy refused");
    }
}
