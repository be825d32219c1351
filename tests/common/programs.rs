//! The C test programs in `tests/programs/`: compiling them (once per test
//! binary, with `tests/programs/` on the include path for the shared
//! `common.h`), copying them, and finding the lines their `/* MARKER */`
//! comments name, so tests never hard-code line numbers.

use super::fs::{tmp_root, unique_suffix, TempDir};
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Directory of the C sources of the test programs.
pub fn programs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("programs")
}

/// Compiles `tests/programs/NAME.c` with `cc -g -O0 -pthread -I
/// tests/programs` (once per test binary) and returns the executable's path.
/// `NAME-m32` is the same source built as a 32-bit (i386) program,
/// `NAME-static` linked statically.
/// Safe under parallel tests and parallel test binaries: the compiler writes
/// a unique temporary name that is then renamed into place atomically.
pub fn program(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let map = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // Holding the lock while compiling keeps one compile per program; other
    // programs wait a few tens of milliseconds, which is fine.
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = map.get(name) {
        return p.clone();
    }
    let (source, mode_flags): (&str, Vec<String>) = match name.strip_suffix("-m32") {
        Some(source) => (source, m32_flags()),
        None => match name.strip_suffix("-static") {
            Some(source) => (source, vec!["-static".to_string()]),
            None => (name, Vec::new()),
        },
    };
    let src = programs_dir().join(format!("{source}.c"));
    assert!(src.exists(), "no test program {}", src.display());
    let dir = tmp_root().join("programs");
    fs::create_dir_all(&dir).expect("create programs dir");
    let out = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", unique_suffix()));
    let result = Command::new("cc")
        .args(["-g", "-O0", "-pthread"])
        .args(&mode_flags)
        .arg("-I")
        .arg(programs_dir())
        .arg("-o")
        .arg(&tmp)
        .arg(&src)
        .stdin(Stdio::null())
        .output()
        .expect("run cc");
    assert!(
        result.status.success(),
        "compiling {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    fs::rename(&tmp, &out).expect("rename compiled program");
    map.insert(name.to_string(), out.clone());
    out
}

/// `-m32`, and where the kernel headers' `asm` directory is not on the
/// 32-bit include path, an include directory that puts it there. Debian's
/// gcc-multilib provides /usr/include/asm, but it conflicts with the
/// aarch64 cross compiler the aarch64 tests need; gcc-12-multilib (the
/// 32-bit libc and libgcc) does not, and the x86 `asm` headers serve both
/// widths.
fn m32_flags() -> Vec<String> {
    let mut flags = vec!["-m32".to_string()];
    let native_asm = std::path::Path::new("/usr/include/x86_64-linux-gnu/asm");
    if !std::path::Path::new("/usr/include/asm").exists() && native_asm.exists() {
        let dir = tmp_root().join("m32-include");
        let link = dir.join("asm");
        if !link.exists() {
            fs::create_dir_all(&dir).expect("create m32 include dir");
            // Another test binary may make it at the same time.
            let _ = std::os::unix::fs::symlink(native_asm, &link);
        }
        flags.push(format!("-I{}", dir.display()));
    }
    flags
}

/// Copies the compiled program `name` to a unique path inside `dir`, so that a
/// test can find any process running it by its path alone.
pub fn program_copy(name: &str, dir: &TempDir) -> PathBuf {
    let dst = dir.file(&format!("{name}-{}", unique_suffix()));
    fs::copy(program(name), &dst).expect("copy program");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).expect("chmod");
    dst
}

/// Line number (1-based) of the single line of `tests/programs/PROG.c` that
/// contains `/* MARKER */`, so tests never hard-code line numbers.
pub fn line_of(prog: &str, marker: &str) -> usize {
    let src = fs::read_to_string(programs_dir().join(format!("{prog}.c"))).expect("read source");
    let needle = format!("/* {marker} */");
    let hits: Vec<usize> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&needle))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "marker {needle} in {prog}.c: {hits:?}");
    hits[0]
}

/// `FILE:LINE` location of a marker, for gdb's `break`, `until`, `advance`.
pub fn loc(prog: &str, marker: &str) -> String {
    format!("{prog}.c:{}", line_of(prog, marker))
}
