//! Opening only the files convgen expects (SPEC §6): regular files, read up
//! to a size bound, never blocking on a FIFO, and inside the data dir never
//! through a symlink.
//!
//! Each open passes `O_NONBLOCK` (a FIFO cannot hold the process waiting for
//! a writer) and, inside the data dir, `O_NOFOLLOW`; the opened handle is
//! then checked with `fstat`, so a file swapped between a check and the open
//! is still caught. Devices are refused from their metadata before any open.
//! Files convgen creates are made fresh (`O_EXCL`): a planted symlink or hard
//! link at their name is never written through.

use std::fs::{self, File, FileType, Metadata, OpenOptions};
use std::io::{self, Read};

use camino::{Utf8Path, Utf8PathBuf};

/// Largest conversation file read back: a 500-turn conversation of long
/// turns is a few MB, so this is met only by a file that is not one.
pub const MAX_CONVERSATION_BYTES: u64 = 64 << 20;
/// Largest `batch.json` or `preview.txt` read back (a batch of 100,000
/// conversations of 10 KB each fits).
pub const MAX_BATCH_FILE_BYTES: u64 = 1 << 30;
/// Largest prompt or script read.
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Whether a symlink at the file's own name may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Inside the data dir: a symlink is refused.
    Refuse,
    /// A file the user names (a prompt, a script): a symlink is followed,
    /// and what it leads to must still be a regular file.
    Follow,
}

/// Why a file was not opened or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} is not a regular file (it is {kind}); convgen does not open it")]
    NotRegular {
        path: Utf8PathBuf,
        kind: &'static str,
    },
    #[error("{path} is not a folder convgen made (it is {kind}); convgen does not follow it")]
    NotFolder {
        path: Utf8PathBuf,
        kind: &'static str,
    },
    #[error(
        "{path} is {size} bytes, more than the {} MiB convgen reads from such a file",
        max >> 20
    )]
    TooLarge {
        path: Utf8PathBuf,
        size: u64,
        max: u64,
    },
    #[error("{path}: {source}")]
    Io {
        path: Utf8PathBuf,
        source: io::Error,
    },
}

impl FileError {
    /// Why, without the path (for messages that name the file already).
    pub fn reason(&self) -> String {
        match self {
            FileError::Io { source, .. } => source.to_string(),
            FileError::NotRegular { kind, .. } => {
                format!("it is not a regular file (it is {kind})")
            }
            other => other.to_string(),
        }
    }

    /// True when the file is simply not there.
    pub fn is_missing(&self) -> bool {
        matches!(self, FileError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// What a file type is, for messages.
pub fn kind_of(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn io_err(path: &Utf8Path) -> impl Fn(io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_owned(),
        source,
    }
}

fn metadata(path: &Utf8Path, links: Links) -> Result<Metadata, FileError> {
    match links {
        Links::Refuse => fs::symlink_metadata(path),
        Links::Follow => fs::metadata(path),
    }
    .map_err(io_err(path))
}

fn regular(path: &Utf8Path, meta: &Metadata) -> Result<(), FileError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(FileError::NotRegular {
            path: path.to_owned(),
            kind: kind_of(meta.file_type()),
        })
    }
}

/// Opens with `O_NONBLOCK` (and `O_NOFOLLOW` when links are refused), then
/// checks the handle itself is a regular file.
fn open(path: &Utf8Path, links: Links, options: &mut OpenOptions) -> Result<File, FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if links == Links::Refuse {
            libc::O_NOFOLLOW
        } else {
            0
        };
        options.custom_flags(libc::O_NONBLOCK | nofollow);
    }
    let file = options.open(path).map_err(|e| {
        // ELOOP: the name is a symlink and O_NOFOLLOW refused it.
        match fs::symlink_metadata(path) {
            Ok(m) if !m.is_file() && !m.is_dir() => FileError::NotRegular {
                path: path.to_owned(),
                kind: kind_of(m.file_type()),
            },
            _ => io_err(path)(e),
        }
    })?;
    regular(path, &file.metadata().map_err(io_err(path))?)?;
    Ok(file)
}

/// Opens a regular file for reading as a stream (an input the user names,
/// read in pieces): devices and FIFOs are refused before they are opened,
/// and the open handle is checked again.
pub fn open_read(path: &Utf8Path, links: Links) -> Result<File, FileError> {
    regular(path, &metadata(path, links)?)?;
    open(path, links, OpenOptions::new().read(true))
}

/// Reads a whole regular file of at most `max` bytes.
pub fn read(path: &Utf8Path, links: Links, max: u64) -> Result<Vec<u8>, FileError> {
    // Devices and FIFOs are refused before they are opened at all.
    regular(path, &metadata(path, links)?)?;
    let file = open(path, links, OpenOptions::new().read(true))?;
    let size = file.metadata().map_err(io_err(path))?.len();
    let too_large = |size| FileError::TooLarge {
        path: path.to_owned(),
        size,
        max,
    };
    if size > max {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // A file growing while it is read is still cut at the bound.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads `rel` under `data_dir`: each folder on the way must be a real folder
/// (not a symlink) and the file itself a regular file.
pub fn read_inside(data_dir: &Utf8Path, rel: &Utf8Path, max: u64) -> Result<Vec<u8>, FileError> {
    let mut at = data_dir.to_owned();
    let steps: Vec<&str> = rel.iter().collect();
    for step in steps.iter().take(steps.len().saturating_sub(1)) {
        at.push(step);
        if !real_dir(&at)? {
            return Err(io_err(&at)(io::Error::from(io::ErrorKind::NotFound)));
        }
    }
    read(&data_dir.join(rel), Links::Refuse, max)
}

/// Nothing, or a regular file, at `path` (a symlink is not followed): for
/// files another library opens, such as the registry and its locks.
pub fn regular_or_absent(path: &Utf8Path) -> Result<(), FileError> {
    match fs::symlink_metadata(path) {
        Ok(m) => regular(path, &m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// True when `path` is a real folder, false when nothing is there; an error
/// when it is something else (a symlink, a file, a FIFO).
pub fn real_dir(path: &Utf8Path) -> Result<bool, FileError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(m) => Err(FileError::NotFolder {
            path: path.to_owned(),
            kind: kind_of(m.file_type()),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}

mod write;

pub use write::{append, create_new};

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let p = Utf8PathBuf::from_path_buf(t.path().to_owned()).unwrap();
        (t, p)
    }

    fn fifo(path: &Utf8Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(path.as_str())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    #[test]
    fn only_regular_files_are_read_and_fifos_never_block() {
        let (_t, d) = dir();
        fs::write(d.join("a.json"), b"{}").unwrap();
        assert_eq!(read(&d.join("a.json"), Links::Refuse, 10).unwrap(), b"{}");
        fifo(&d.join("f.json"));
        let e = read(&d.join("f.json"), Links::Follow, 10).unwrap_err();
        assert!(e.to_string().contains("it is a FIFO"), "{e}");
        std::os::unix::fs::symlink("/dev/zero", d.join("z.json")).unwrap();
        let e = read(&d.join("z.json"), Links::Refuse, 10).unwrap_err();
        assert!(e.to_string().contains("a symbolic link"), "{e}");
        let e = read(&d.join("z.json"), Links::Follow, 10).unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
        std::os::unix::fs::symlink("a.json", d.join("l.json")).unwrap();
        assert_eq!(read(&d.join("l.json"), Links::Follow, 10).unwrap(), b"{}");
        let e = read(&d.join("a.json"), Links::Refuse, 1).unwrap_err();
        assert!(e.to_string().contains("is 2 bytes, more than"), "{e}");
        assert!(
            read(&d.join("none"), Links::Refuse, 1)
                .unwrap_err()
                .is_missing()
        );
    }

    #[test]
    fn folders_on_the_way_must_be_real() {
        let (_t, d) = dir();
        fs::create_dir_all(d.join("data/b/conversations")).unwrap();
        fs::write(d.join("data/b/conversations/c.json"), b"x").unwrap();
        let rel = Utf8Path::new("b/conversations/c.json");
        assert_eq!(read_inside(&d.join("data"), rel, 10).unwrap(), b"x");
        fs::rename(d.join("data/b"), d.join("outside")).unwrap();
        std::os::unix::fs::symlink(d.join("outside"), d.join("data/b")).unwrap();
        let e = read_inside(&d.join("data"), rel, 10).unwrap_err();
        assert!(e.to_string().contains("not a folder convgen made"), "{e}");
        assert!(real_dir(&d.join("nothing")).is_ok_and(|there| !there));
    }
}
