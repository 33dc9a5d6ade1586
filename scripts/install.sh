#!/usr/bin/env bash
# Installs what openshot-api needs on a fresh Debian machine (run as root) and builds .venv.
# Idempotent: each step checks first, so a second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# bubblewrap and util-linux (prlimit, setpriv) build the sandbox render children run in.
APT_PACKAGES="python3-openshot libqt5svg5 ffmpeg fontconfig fonts-dejavu-core fonts-liberation2 espeak-ng chromium chromium-driver bubblewrap util-linux"
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
command -v npm >/dev/null || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
  echo "installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$candidate; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "Python 3.11 is required (python3-openshot is built for it)"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

# libopenshot comes from Debian; the venv sees only its two files, not all of dist-packages.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p .venv/openshot-lib
for f in /usr/lib/python3/dist-packages/openshot.py /usr/lib/python3/dist-packages/_openshot*.so; do
  ln -sf "$f" .venv/openshot-lib/
done
echo "$(pwd)/.venv/openshot-lib" > "$site/openshot_lib.pth"

# Reinstall Python packages only when a pyproject changed since the last install.
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ -n "$(find pyproject.toml plugins/*/pyproject.toml -newer "$stamp" 2>/dev/null)" ]; then
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip 'setuptools<81' wheel
  args=(-e '.[test]')
  for p in plugins/*/; do
    # Each plugin's [test] extra brings what its tests start (emulators); pip only warns
    # about a plugin without one.
    [ -f "$p/pyproject.toml" ] && args+=(-e "$p[test]")
  done
  .venv/bin/pip install -q --disable-pip-version-check "${args[@]}"
  touch "$stamp"
fi

# npm tools some plugins' tests need (emulators), installed into the project, not globally.
if [ -f package.json ] && [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
  npm install --no-audit --no-fund --silent
  touch node_modules
fi
.venv/bin/python -c 'import openshot' || { echo "libopenshot is not importable from .venv"; exit 1; }
