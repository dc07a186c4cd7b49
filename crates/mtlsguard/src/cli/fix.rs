//! Applying fixes to files: which fixes went in, diffs, and a write that never loses data.

use std::fs;
use std::io::Write;
use std::path::Path;

/// A unified diff (`--- a/path`, `+++ b/path`) of `old` → `new`.
pub fn unified_diff(display: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{display}"), &format!("b/{display}"))
        .to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[derive(Debug)]
pub enum WriteError {
    /// The file on disk is no longer what was read: it was left alone.
    Changed,
    /// The file was deleted (or moved away) since it was read: it is not recreated.
    Vanished,
    Io(String),
}

/// Replaces the file's content with `new`, provided it still holds `old`.
///
/// Writes a temporary file in the same folder, copies the permissions (and, on Unix, the
/// owner), fsyncs it and renames it over the file, so the file is at every moment either
/// the old or the new content. A symlink is followed: its target is replaced. A read-only
/// file is refused.
pub fn write_if_unchanged(path: &Path, old: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => WriteError::Vanished,
        _ => WriteError::Io(super::files::io_message(&e)),
    };
    let target = fs::canonicalize(path).map_err(io)?;
    let meta = fs::metadata(&target).map_err(io)?;
    if meta.permissions().readonly() {
        return Err(WriteError::Io("the file is read-only".into()));
    }
    // Re-read just before writing: anything else that touched the file wins.
    if fs::read(&target).map_err(io)? != old {
        return Err(WriteError::Changed);
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".mtlsguard-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(new).map_err(io)?;
    tmp.as_file()
        .set_permissions(meta.permissions())
        .map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Keep the owner when we may (root fixing someone else's file); otherwise the
        // new file is ours, as with any editor's save.
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()));
    }
    tmp.as_file().sync_all().map_err(io)?;
    // Last look: the window between this check and the rename is as small as it gets.
    if fs::read(&target).map_err(io)? != old {
        return Err(WriteError::Changed);
    }
    // Not through `io`: a NotFound here is about the folder, not a vanished file.
    tmp.persist(&target)
        .map_err(|e| WriteError::Io(super::files::io_message(&e.error)))?;
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_a_file_that_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bicep");
        fs::write(&p, "changed by someone else").unwrap();
        let r = write_if_unchanged(&p, b"what we read", b"fixed");
        assert!(matches!(r, Err(WriteError::Changed)));
        assert_eq!(fs::read_to_string(&p).unwrap(), "changed by someone else");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn does_not_recreate_a_file_deleted_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bicep");
        let r = write_if_unchanged(&p, b"what we read", b"fixed");
        assert!(matches!(r, Err(WriteError::Vanished)), "{r:?}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        // Also through a symlink whose target is gone.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("gone.bicep"), &p).unwrap();
            let r = write_if_unchanged(&p, b"what we read", b"fixed");
            assert!(matches!(r, Err(WriteError::Vanished)), "{r:?}");
            assert!(!dir.path().join("gone.bicep").exists());
        }
    }

    #[test]
    fn writes_atomically_keeping_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bicep");
        fs::write(&p, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_if_unchanged(&p, b"old", b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn replaces_a_symlink_target_not_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.bicep");
        let link = dir.path().join("link.bicep");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_if_unchanged(&link, b"old", b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }
}
