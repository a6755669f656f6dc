# Shared set-up for scripts/demo and scripts/test; source it, don't run it.
#
# On a Debian 12 machine with Swift at /opt/swift and CPython >= 3.11 it installs what is missing
# and no more: Debian's -dev packages (only when dpkg says they are absent), a virtualenv in
# $SWIFTSSL_VENV (default .venv) and swiftssl itself via `pip install .`, which runs the Swift
# release build in setup.py. The install is skipped when a hash of the sources matches the one
# recorded at the last install and the installed package still imports.
#
# Knobs: PYTHON (interpreter that makes the venv, default python3), SWIFTSSL_VENV,
# SWIFTSSL_FORCE_INSTALL=1 (reinstall even when nothing changed).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SWIFTSSL_VENV:-$REPO_ROOT/.venv}"
VENV_PYTHON="$VENV/bin/python"
INSTALL_STAMP="$VENV/.swiftssl-sources.sha256"
# The venv's pip is the interpreter's bundled one; its upgrade notice is noise here.
export PIP_DISABLE_PIP_VERSION_CHECK=1

section() {
    printf '\n==> %s\n' "$*"
}

fail() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# The Debian packages the Swift build links or reads headers from.
ensure_debian_packages() {
    # SWIFTSSL_EXTRA_DEBIAN_PACKAGES: more packages a caller needs (scripts/test adds strace).
    local wanted=(libssl-dev libpython3-dev pkg-config ${SWIFTSSL_EXTRA_DEBIAN_PACKAGES:-}) missing=() package
    command -v dpkg >/dev/null || fail "dpkg not found: these scripts set up Debian/Ubuntu machines; install ${wanted[*]} by hand"
    for package in "${wanted[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "Debian packages present: ${wanted[*]}"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || fail "missing ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
        sudo=(sudo -n)
    fi
    echo "installing ${missing[*]} with apt-get"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

ensure_swift() {
    if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null || fail "swift not found on PATH nor at /opt/swift/usr/bin: install Swift 6 first"
    swift --version 2>/dev/null | head -n 1
}

ensure_venv() {
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null || fail "$python not found (set PYTHON to a CPython >= 3.11)"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || fail "$python is $("$python" -V 2>&1); swiftssl needs CPython >= 3.11"
    if [ -x "$VENV_PYTHON" ] && "$VENV_PYTHON" -c 'import pip' >/dev/null 2>&1; then
        echo "reusing virtualenv $VENV ($("$VENV_PYTHON" -V))"
    else
        echo "creating virtualenv $VENV with $("$python" -V)"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
}

# A hash of everything that goes into the installed package, plus the interpreter's version.
source_hash() {
    (
        cd "$REPO_ROOT"
        "$VENV_PYTHON" -VV
        find Package.swift setup.py pyproject.toml Sources python/swiftssl -type f \
            ! -name '*.so' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    ) | sha256sum | cut -d ' ' -f 1
}

# Where `import swiftssl` resolves from outside the repository (with its native core loaded: the
# import alone is lazy), or nothing if it does not import.
installed_location() {
    (cd / && env -u PYTHONPATH "$VENV_PYTHON" -c 'import swiftssl; swiftssl.load(); print(swiftssl.__file__)' 2>/dev/null) || true
}

ensure_swiftssl_installed() {
    local wanted location
    wanted="$(source_hash)"
    location="$(installed_location)"
    if [ -z "${SWIFTSSL_FORCE_INSTALL:-}" ] && [ -n "$location" ] \
        && [ "$(cat "$INSTALL_STAMP" 2>/dev/null)" = "$wanted" ]; then
        echo "swiftssl already installed from these sources: $location"
        return
    fi
    echo "pip install . (runs swift build -c release; a few minutes on a cold build)"
    # setuptools' build/ keeps files from earlier builds, and would package deleted modules.
    rm -rf "$REPO_ROOT/build"
    local started=$SECONDS
    (cd "$REPO_ROOT" && env -u PYTHONPATH "$VENV_PYTHON" -m pip install --no-input . )
    echo "pip install took $((SECONDS - started)) s"
    location="$(installed_location)"
    [ -n "$location" ] || fail "swiftssl was installed but does not import from outside the repository"
    echo "$wanted" >"$INSTALL_STAMP"
    echo "installed: $location"
}

# pip-installs each distribution whose import name is missing: pairs of "import:distribution".
ensure_python_packages() {
    local pair missing=()
    for pair in "$@"; do
        "$VENV_PYTHON" -c "import ${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "Python packages present: ${*%%:*}"
        return
    fi
    echo "pip install ${missing[*]}"
    "$VENV_PYTHON" -m pip install --no-input -q "${missing[@]}"
}

# Everything scripts/demo and scripts/test need before they run anything.
setup_environment() {
    section "system packages"
    ensure_debian_packages
    section "toolchain"
    ensure_swift
    section "virtualenv"
    ensure_venv
    section "swiftssl"
    ensure_swiftssl_installed
}
