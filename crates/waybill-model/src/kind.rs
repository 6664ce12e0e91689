//! The closed vocabulary of what happened.
//!
//! Kinds name an action, never the artifact it was read from: a Chrome visit and a
//! Safari visit are both `browser.visit`. A new source that shows something none of
//! these says adds a kind here (and to [`EventKind::ALL`]); a source's quirk never
//! becomes a kind.

use std::fmt;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal ),+ $(,)?) => {
        /// What an event says happened.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum EventKind {
            $( $(#[$doc])* $variant, )+
        }

        impl EventKind {
            /// Every kind, in documentation order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),+];

            /// The dotted name stored in the `kind` column.
            pub fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $name,)+ }
            }

            /// Parses a dotted name.
            pub fn parse(name: &str) -> Option<Self> {
                match name { $($name => Some(EventKind::$variant),)+ _ => None }
            }
        }
    };
}

kinds! {
    /// A request seen by a web server, proxy, CDN or load balancer.
    HttpRequest => "http.request",
    /// A network connection (not an HTTP request) seen by a load balancer or firewall.
    NetConnection => "net.connection",
    /// A page visit recorded in a browser's history.
    BrowserVisit => "browser.visit",
    /// A download recorded by a browser (started, or completed: see `attrs.phase`).
    BrowserDownload => "browser.download",
    /// A bookmark (or bookmark folder/annotation) created in a browser.
    BrowserBookmark => "browser.bookmark",
    /// A resource stored in a browser's cache.
    BrowserCacheEntry => "browser.cache_entry",
    /// A message received by the subject's account or device.
    MsgReceived => "msg.received",
    /// A message sent from the subject's account or device.
    MsgSent => "msg.sent",
    /// Message media fetched to the device (automatically or on request).
    MsgMediaFetched => "msg.media_fetched",
    /// A messaging app's own record that it started downloading a message's
    /// media, automatically (`auto` = true) or because the person asked
    /// (`auto` = false): the decision, not the completed fetch.
    MsgMediaDownload => "msg.media_download",
    /// A message or its media opened/read.
    MsgOpened => "msg.opened",
    /// A file uploaded to a cloud service.
    CloudUpload => "cloud.upload",
    /// A file downloaded from a cloud service by a browser or app request.
    CloudDownload => "cloud.download",
    /// A file downloaded by a sync client.
    CloudSyncDownload => "cloud.sync_download",
    /// A cloud file previewed (thumbnail/preview rendering).
    CloudPreview => "cloud.preview",
    /// A cloud file or folder shared.
    CloudShare => "cloud.share",
    /// A file system entry created (birth time).
    FsCreated => "fs.created",
    /// A file's content modified.
    FsModified => "fs.modified",
    /// A file accessed.
    FsAccessed => "fs.accessed",
    /// A file's metadata (inode/MFT entry) changed.
    FsChanged => "fs.changed",
    /// A file opened by the person through the shell, as a Recent Items
    /// shortcut records it (the shortcut's modification time is the last
    /// open; `path` is the opened file's).
    FsOpened => "fs.opened",
    /// An origin marker written beside a file (Zone.Identifier, quarantine record).
    FsOriginMarker => "fs.origin_marker",
    /// A user session started (logon).
    SessionLogon => "session.logon",
    /// A user session ended (logoff).
    SessionLogoff => "session.logoff",
    /// The session was locked.
    SessionLock => "session.lock",
    /// The session was unlocked.
    SessionUnlock => "session.unlock",
    /// The device went to sleep.
    PowerSleep => "power.sleep",
    /// The device woke from sleep.
    PowerWake => "power.wake",
    /// An application setting as last saved (e.g. a messaging app's media
    /// auto-download masks); its time is when the settings file was last
    /// written, and it says nothing of earlier values.
    AppSetting => "app.setting",
    /// An event imported from another tool's timeline whose meaning has no
    /// kind here; the original description is kept in `attrs`.
    ImportedOther => "imported.other",
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for k in EventKind::ALL {
            assert!(seen.insert(k.as_str()), "duplicate {k}");
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(EventKind::parse("http.get"), None);
    }
}
