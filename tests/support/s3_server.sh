#!/usr/bin/env bash
# A real S3 server for tests: single-node OpenStack Swift with s3api + tempauth from Debian's
# python3-swift (scripts/setup installs it). Four processes on free 127.0.0.1 ports, one replica,
# everything (configs, rings, storage, logs, PIDs) inside one instance directory.
#
#   s3_server.sh start [--fresh] [--if-available] DIR
#                                      start whichever of the four servers is not running (DIR's
#                                      data and ports are reused; --fresh stops everything and wipes
#                                      DIR first), wait until a write works, print the endpoint and
#                                      credentials and write them to DIR/s3.env. --if-available:
#                                      exit 0 with a message when python3-swift is not installed
#   s3_server.sh stop DIR [NAME...]    stop exactly the PIDs recorded in DIR/run (each checked to
#                                      still be this instance's server first); NAME: only those of
#                                      account, container, object, proxy (proxy = the S3 endpoint)
#   s3_server.sh status DIR            exit 0 if all four recorded servers are running
#   s3_server.sh available             exit 0 if python3-swift is installed
#
# The storage needs user xattrs (ext4 is fine; tmpfs only on Linux >= 6.6).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# Debian's python: a pyenv/venv python3 earlier on PATH does not see python3-swift. (CIVIC_S3_PYTHON
# exists to check the "not installed" path: point it at a python without Swift.)
py="${CIVIC_S3_PYTHON:-/usr/bin/python3}"
servers=(account container object proxy)
ready_seconds="${CIVIC_S3_READY_SECONDS:-60}"

usage() { echo "usage: $0 start [--fresh] [--if-available] DIR | stop DIR [NAME...] | status DIR | available" >&2; exit 2; }

available() { [ -x "$py" ] && "$py" -c 'import swift.common.middleware.s3api' 2>/dev/null; }

# True when PID is alive and is this instance's server NAME (not a recycled PID).
is_ours() {
  local pid="$1" dir="$2" name="$3" cmd
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"s3_swift.py serve $dir $name"* ]]
}

stop() {
  local dir="$1" name pid pids=() names=("${servers[@]}")
  shift
  [ $# -gt 0 ] && names=("$@")
  for name in "${names[@]}"; do
    [ -f "$dir/run/$name.pid" ] || continue
    pid="$(cat "$dir/run/$name.pid")"
    if is_ours "$pid" "$dir" "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid:$name")
    fi
    rm -f "$dir/run/$name.pid"
  done
  # Wait (bounded) for them to go; SIGKILL what is left.
  local deadline=$((SECONDS + 10)) entry left
  while :; do
    left=()
    for entry in "${pids[@]+"${pids[@]}"}"; do
      is_ours "${entry%%:*}" "$dir" "${entry#*:}" && left+=("$entry")
    done
    [ ${#left[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      for entry in "${left[@]}"; do kill -KILL "${entry%%:*}" 2>/dev/null || true; done
      return 0
    fi
    sleep 0.05
  done
}

status() {
  local dir="$1" name
  for name in "${servers[@]}"; do
    [ -f "$dir/run/$name.pid" ] && is_ours "$(cat "$dir/run/$name.pid")" "$dir" "$name" || return 1
  done
}

start() {
  local fresh=0 if_available=0
  while [ $# -gt 1 ]; do
    case "$1" in
      --fresh) fresh=1 ;;
      --if-available) if_available=1 ;;
      *) usage ;;
    esac
    shift
  done
  [ $# -eq 1 ] || usage
  mkdir -p "$1"
  local dir
  dir="$(cd "$1" && pwd)"
  if ! available; then
    rm -f "$dir/s3.env"
    echo "s3_server: python3-swift is not installed (scripts/setup installs it): no S3 server" >&2
    [ $if_available -eq 1 ] && exit 0
    exit 3
  fi
  if [ $fresh -eq 1 ]; then
    stop "$dir"  # whatever this instance left running
    rm -rf "${dir:?}/etc" "$dir/srv" "$dir/log" "$dir/run" "$dir/ports.json" "$dir/s3.env"
  fi
  local t0
  t0=$(date +%s%N)
  [ -f "$dir/ports.json" ] || "$py" "$here/s3_swift.py" init "$dir"
  local name
  for name in "${servers[@]}"; do
    if [ -f "$dir/run/$name.pid" ] && is_ours "$(cat "$dir/run/$name.pid")" "$dir" "$name"; then
      continue  # still running
    fi
    "$py" "$here/s3_swift.py" serve "$dir" "$name" >>"$dir/log/$name.out" 2>&1 </dev/null &
    echo $! > "$dir/run/$name.pid"
  done
  if ! "$py" "$here/s3_swift.py" ready "$dir" "$ready_seconds"; then
    for name in "${servers[@]}"; do
      echo "--- $name" >&2
      tail -n 20 "$dir/log/$name.out" "$dir/log/$name.log" 2>/dev/null >&2 || true
    done
    stop "$dir"
    exit 1
  fi
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local port
  port="$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["proxy"])' "$dir/ports.json")"
  cat > "$dir/s3.env" <<EOF
S3_ENDPOINT=http://127.0.0.1:$port
S3_REGION=us-east-1
S3_BUCKET=civic-test
AWS_ACCESS_KEY_ID=test:tester
AWS_SECRET_ACCESS_KEY=testing
S3_START_MS=$ms
EOF
  cat "$dir/s3.env"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop)
    [ $# -ge 2 ] || usage
    [ -d "$2" ] || exit 0
    d="$(cd "$2" && pwd)"
    shift 2
    for n in "$@"; do [[ " ${servers[*]} " == *" $n "* ]] || usage; done
    stop "$d" "$@" ;;
  status) [ $# -eq 2 ] || usage; status "$(cd "$2" && pwd)" ;;
  available) available ;;
  *) usage ;;
esac
