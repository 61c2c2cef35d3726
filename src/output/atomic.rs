//! `-o FILE`: the body goes into a temporary file beside FILE, which takes FILE's
//! name only once the response is complete, or `FILE.part` when it is not.
//!
//! On Linux the temporary file is made with O_TMPFILE: it has no name until it is
//! given one, so a fetch killed by SIGKILL (or a power loss) leaves nothing behind.
//! It is named through `/proc/self/fd/N` with linkat (AT_EMPTY_PATH would need
//! CAP_DAC_READ_SEARCH). Elsewhere, or where the filesystem or /proc does not
//! allow it, the temporary file is `.FILE.fetch-PID.tmp` from the start.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A temporary file that is not yet FILE.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    /// The name the file has, or gets just before it is renamed into place.
    temp: PathBuf,
    /// `/proc/self/fd/N` while the file has no name (O_TMPFILE).
    unnamed: Option<PathBuf>,
}

impl AtomicFile {
    /// Creates the temporary file beside `dest`, with `dest`'s mode and owner if
    /// `dest` exists (renaming over it must not widen who can read it), else with
    /// the usual mode from the umask.
    pub fn create(dest: &Path) -> io::Result<(File, AtomicFile)> {
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::other("not a file name"))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".fetch-{}.tmp", std::process::id()));
        let temp = dest.with_file_name(temp_name);
        let (file, unnamed) = match create_unnamed(dest) {
            Some((file, proc_path)) => (file, Some(proc_path)),
            None => {
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&temp)?;
                (file, None)
            }
        };
        if let Ok(existing) = fs::metadata(dest) {
            file.set_permissions(fs::Permissions::from_mode(existing.mode() & 0o7777))?;
            // Only root may give a file away; for anyone else the owner is theirs.
            let _ = std::os::unix::fs::fchown(&file, Some(existing.uid()), Some(existing.gid()));
        }
        let atomic = AtomicFile {
            dest: dest.to_path_buf(),
            temp,
            unnamed,
        };
        Ok((file, atomic))
    }

    /// -C -: the partial file is FILE.part, written in place from its end, and
    /// named FILE once complete. A partial FILE (from another tool) is renamed
    /// FILE.part first: until the rest has come, it is not the whole.
    /// `offset` is the length the request's Range was made from.
    pub fn resume(dest: &Path, offset: u64) -> io::Result<(File, AtomicFile)> {
        let part = part_path(dest);
        if !fs::metadata(&part).is_ok_and(|m| m.is_file() && m.len() > 0) {
            fs::rename(dest, &part)?;
        }
        let mut file = OpenOptions::new().write(true).open(&part)?;
        let length = file.seek(io::SeekFrom::End(0))?;
        if length < offset {
            return Err(io::Error::other(format!(
                "it shrank while fetch started ({length} bytes, not {offset})"
            )));
        }
        // -C N keeps the first N bytes; the Range asks for what follows them.
        if length > offset {
            file.set_len(offset)?;
            file.seek(io::SeekFrom::Start(offset))?;
        }
        let atomic = AtomicFile {
            dest: dest.to_path_buf(),
            temp: part,
            unnamed: None,
        };
        Ok((file, atomic))
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// What the signal handler needs to keep the file as FILE.part: the temporary
    /// name, and the /proc path to link it from while it has none.
    pub fn names(&self) -> (&Path, Option<&Path>) {
        (&self.temp, self.unnamed.as_deref())
    }

    /// The response is complete: `file` becomes FILE, durable before it is named.
    pub fn commit(self, file: &File) -> io::Result<()> {
        file.sync_data()?;
        self.rename_to(&self.dest)
    }

    /// The response is not complete: `file` becomes FILE.part, a name that cannot
    /// pass for the whole. Returns that name.
    pub fn keep_part(self, _file: &File) -> io::Result<PathBuf> {
        let part = part_path(&self.dest);
        self.rename_to(&part)?;
        Ok(part)
    }

    /// Nothing worth keeping arrived.
    pub fn discard(self) {
        if self.unnamed.is_none() {
            let _ = fs::remove_file(&self.temp);
        }
    }

    fn rename_to(&self, name: &Path) -> io::Result<()> {
        if let Some(proc_path) = &self.unnamed {
            link_unnamed(proc_path, &self.temp)?;
        }
        fs::rename(&self.temp, name).inspect_err(|_| {
            let _ = fs::remove_file(&self.temp);
        })
    }
}

pub fn part_path(dest: &Path) -> PathBuf {
    let mut part = dest.as_os_str().to_os_string();
    part.push(".part");
    PathBuf::from(part)
}

/// An O_TMPFILE file in `dest`'s directory, and the /proc path that can name it;
/// `None` where that does not work (the caller then uses a named file).
#[cfg(all(target_os = "linux", feature = "linux-fast-paths"))]
fn create_unnamed(dest: &Path) -> Option<(File, PathBuf)> {
    use rustix::fs::{Mode, OFlags};
    let dir = match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(rustix::fs::CWD, dir, flags, Mode::from(0o666)).ok()?;
    let file = File::from(fd);
    // Without /proc (some containers) the file could never be named: use a named one.
    let proc_path = PathBuf::from(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&file)
    ));
    fs::metadata(&proc_path).ok()?;
    Some((file, proc_path))
}

#[cfg(not(all(target_os = "linux", feature = "linux-fast-paths")))]
fn create_unnamed(_dest: &Path) -> Option<(File, PathBuf)> {
    None
}

/// Gives the unnamed file at `proc_path` the name `temp`, replacing a stale file
/// of that name (left by an earlier fetch with the same process ID).
#[cfg(all(target_os = "linux", feature = "linux-fast-paths"))]
fn link_unnamed(proc_path: &Path, temp: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    let link = || linkat(CWD, proc_path, CWD, temp, AtFlags::SYMLINK_FOLLOW);
    match link() {
        Err(rustix::io::Errno::EXIST) => {
            fs::remove_file(temp)?;
            Ok(link()?)
        }
        result => Ok(result?),
    }
}

#[cfg(not(all(target_os = "linux", feature = "linux-fast-paths")))]
fn link_unnamed(_proc_path: &Path, _temp: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fetch-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_file_has_no_name_until_it_is_complete() {
        let dir = scratch("commit");
        let (mut file, atomic) = AtomicFile::create(&dir.join("f")).unwrap();
        file.write_all(b"data").unwrap();
        if cfg!(all(target_os = "linux", feature = "linux-fast-paths")) {
            assert_eq!(names(&dir), Vec::<String>::new());
        }
        atomic.commit(&file).unwrap();
        assert_eq!(names(&dir), ["f"]);
        assert_eq!(fs::read(dir.join("f")).unwrap(), b"data");
        let (file, atomic) = AtomicFile::create(&dir.join("f")).unwrap();
        assert_eq!(atomic.keep_part(&file).unwrap(), dir.join("f.part"));
        assert_eq!(names(&dir), ["f", "f.part"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stale_temporary_name_is_replaced() {
        let dir = scratch("stale");
        let (file, atomic) = AtomicFile::create(&dir.join("g")).unwrap();
        fs::write(&atomic.temp, b"stale").unwrap_or(());
        atomic.commit(&file).unwrap();
        assert_eq!(names(&dir), ["g"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
