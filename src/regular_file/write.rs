//! Files convgen creates or appends to inside the data dir: made afresh or
//! checked to be its own regular file, never written through a link.

use std::fs::{self, File, OpenOptions};
use std::io;

use camino::Utf8Path;

use super::{FileError, Links, io_err, open};

/// Creates `path` afresh for writing: whatever is at that name (a stale
/// temporary file, a planted symlink or hard link) is unlinked first, and
/// the new file is made with `O_EXCL`, so nothing else is ever written to.
pub fn create_new(path: &Utf8Path) -> io::Result<File> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    open(
        path,
        Links::Refuse,
        OpenOptions::new().write(true).create_new(true),
    )
    .map_err(|e| io::Error::other(e.to_string()))
}

/// Opens `path` to append to it, creating it when missing: it must be a
/// regular file of its own (not a symlink, FIFO or hard link to another name).
pub fn append(path: &Utf8Path) -> Result<File, FileError> {
    let file = open(
        path,
        Links::Refuse,
        OpenOptions::new().create(true).append(true),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if file.metadata().map_err(io_err(path))?.nlink() > 1 {
            return Err(FileError::NotRegular {
                path: path.to_owned(),
                kind: "a hard link shared with another name",
            });
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use camino::Utf8PathBuf;

    use super::*;

    #[test]
    fn created_and_appended_files_never_write_through_a_link() {
        let t = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::from_path_buf(t.path().to_owned()).unwrap();
        fs::write(d.join("victim"), b"keep").unwrap();
        std::os::unix::fs::symlink(d.join("victim"), d.join(".x.tmp")).unwrap();
        create_new(&d.join(".x.tmp"))
            .unwrap()
            .write_all(b"new")
            .unwrap();
        assert_eq!(fs::read(d.join("victim")).unwrap(), b"keep");
        assert_eq!(fs::read(d.join(".x.tmp")).unwrap(), b"new");
        std::os::unix::fs::symlink(d.join("victim"), d.join("run.log")).unwrap();
        assert!(append(&d.join("run.log")).is_err());
        fs::remove_file(d.join("run.log")).unwrap();
        fs::hard_link(d.join("victim"), d.join("run.log")).unwrap();
        assert!(append(&d.join("run.log")).is_err());
        assert_eq!(fs::read(d.join("victim")).unwrap(), b"keep");
        fs::remove_file(d.join("run.log")).unwrap();
        append(&d.join("run.log")).unwrap().write_all(b"a").unwrap();
        assert_eq!(fs::read(d.join("run.log")).unwrap(), b"a");
    }
}
