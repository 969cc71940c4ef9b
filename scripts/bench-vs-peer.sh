#!/usr/bin/env bash
# Side-by-side load: the same mqbench producer command (and optionally a drain
# of the stored backlog) against our broker and against the peer broker
# (../shared/bench, in its fastest configuration), runs alternating, then the
# medians of each side. Everything listens on 127.0.0.1; every process this
# script starts is stopped when it ends.
#
#   cargo build --release --bins            # mqnamesrv, mqbroker, mqbench
#   bash ../shared/bench/build-peer.sh      # once (about 25 min on 2 cores)
#   bash scripts/bench-vs-peer.sh           # RUNS=3 SECS=10 MODE=ASYNC_FLUSH
#   MODE=SYNC_FLUSH SIDES=ours bash scripts/bench-vs-peer.sh
#   DRAIN=1 bash scripts/bench-vs-peer.sh   # also drain the backlog after each run
#
# Settings (environment): B (our binaries, default target/release), RUNS (3),
# SECS (10, producer seconds), SIZE (1024), INFLIGHT (64), MODE (ASYNC_FLUSH
# or SYNC_FLUSH), DRAIN (0/1), SIDES ("ours peer", either order), OUT (JSON
# lines of every run, default $WORK/results.jsonl), WORK (run directory,
# default ~/.cache/rmq-bench; the store goes there, so keep it on the same
# file system as the peer's ~/.cache/rmq-peer), NS_PORT / BROKER_PORT (ours,
# 29876 / 30911), PEER_NAMESRV_PORT / PEER_BROKER_PORT (39876 / 40911).
#
# Per run it prints mqbench's JSON summary plus the broker's CPU per message
# (utime+stime of the broker process over the run, from /proc/<pid>/stat) and
# mqbench's own CPU per message (from /usr/bin/time, else bash's times).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${SHARED:-$ROOT/../shared}
B=${B:-$ROOT/target/release}
RUNS=${RUNS:-3}
SECS=${SECS:-10}
SIZE=${SIZE:-1024}
INFLIGHT=${INFLIGHT:-64}
MODE=${MODE:-ASYNC_FLUSH}
DRAIN=${DRAIN:-0}
SIDES=${SIDES:-"ours peer"}
WORK=${WORK:-$HOME/.cache/rmq-bench}
OUT=${OUT:-$WORK/results.jsonl}
NS_PORT=${NS_PORT:-29876}
BROKER_PORT=${BROKER_PORT:-30911}
PEER_NAMESRV_PORT=${PEER_NAMESRV_PORT:-39876}
PEER_BROKER_PORT=${PEER_BROKER_PORT:-40911}
TICKS=$(getconf CLK_TCK)

for bin in mqnamesrv mqbroker mqbench; do
  [[ -x $B/$bin ]] || { echo "missing $B/$bin: cargo build --release --bins" >&2; exit 1; }
done
mkdir -p "$WORK"
: >"$OUT"

ns_pid= broker_pid=
stop_ours() {
  [[ -n $broker_pid ]] && { kill -TERM "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; }
  [[ -n $ns_pid ]] && { kill -TERM "$ns_pid" 2>/dev/null || true; wait "$ns_pid" 2>/dev/null || true; }
  ns_pid= broker_pid=
}
peer_up=0
stop_peer() {
  if [[ $peer_up == 1 ]]; then
    NAMESRV_PORT=$PEER_NAMESRV_PORT BROKER_PORT=$PEER_BROKER_PORT HA_PORT=$((PEER_BROKER_PORT + 1)) \
      bash "$SHARED/bench/stop-peer.sh" >/dev/null 2>&1 || true
    peer_up=0
  fi
}
trap 'stop_ours; stop_peer' EXIT

wait_port() { # port pid
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "process $2 exited before listening on $1" >&2; return 1; }
    sleep 0.1
  done
  echo "nothing listens on $1 after 30 s" >&2
  return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Starts our NameServer and broker on a fresh store; sets NAMESRV and BPID.
start_ours() {
  local dir=$WORK/ours
  rm -rf "$dir" && mkdir -p "$dir"
  # Loopback only; every file the two servers write stays under $dir.
  cat >"$dir/namesrv.conf" <<EOF
listenPort = $NS_PORT
bindAddress = 127.0.0.1
kvConfigPath = $dir/namesrv/kvConfig.json
configStorePath = $dir/namesrv/namesrv.properties
EOF
  cat >"$dir/broker.conf" <<EOF
brokerName = bench-broker-a
brokerIP1 = 127.0.0.1
bindAddress = 127.0.0.1
listenPort = $BROKER_PORT
namesrvAddr = 127.0.0.1:$NS_PORT
rocketmqHome = $dir
brokerConfigPath = $dir/broker-runtime.properties
storePathRootDir = $dir/store
flushDiskType = $MODE
EOF
  "$B/mqnamesrv" -c "$dir/namesrv.conf" >"$dir/namesrv.log" 2>&1 &
  ns_pid=$!
  wait_port "$NS_PORT" "$ns_pid"
  "$B/mqbroker" -c "$dir/broker.conf" >"$dir/broker.log" 2>&1 &
  broker_pid=$!
  wait_port "$BROKER_PORT" "$broker_pid"
  NAMESRV=127.0.0.1:$NS_PORT
  BPID=$broker_pid
}

start_peer() {
  local out
  out=$(FLUSH=$MODE PEER_EXTRA_TOML='commitLogMicroBatchEnabled = false' \
    NAMESRV_PORT=$PEER_NAMESRV_PORT BROKER_PORT=$PEER_BROKER_PORT HA_PORT=$((PEER_BROKER_PORT + 1)) \
    bash "$SHARED/bench/run-peer.sh")
  peer_up=1
  NAMESRV=$(echo "$out" | sed -n 's/^NAMESRV_ADDR=//p' | tail -n 1)
  local pidfile=${PEER_PID_FILE:-$HOME/.cache/rmq-peer/run-$PEER_NAMESRV_PORT.pids}
  BPID=$(awk '$1 ~ /broker/ {print $2}' "$pidfile" | tail -n 1)
  [[ -n $NAMESRV && -n $BPID ]] || { echo "peer did not start: $out" >&2; exit 1; }
}

# Runs `mqbench <args>` and prints its JSON line with "mqbench_cpu_s" added.
bench() {
  local tf=$WORK/time.txt json
  if [[ -x /usr/bin/time ]]; then
    json=$(/usr/bin/time -f '%U %S' -o "$tf" "$B/mqbench" "$@" --json -q | tail -n 1)
  else
    json=$( { time -p "$B/mqbench" "$@" --json -q; } 2>"$tf.raw" | tail -n 1)
    awk '/^user/ {u=$2} /^sys/ {s=$2} END {print u, s}' "$tf.raw" >"$tf"
  fi
  python3 - "$json" "$tf" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
u, s = open(sys.argv[2]).read().split()[:2]
d["mqbench_cpu_s"] = float(u) + float(s)
print(json.dumps(d))
EOF
}

one_run() { # side run
  local side=$1 run=$2 topic=Bench$RANDOM$run t0 t1 prod cons=
  if [[ $side == ours ]]; then start_ours; else start_peer; fi
  t0=$(cpu_ticks "$BPID")
  prod=$(bench producer -n "$NAMESRV" -t "$topic" --create-topic -s "$SIZE" -w "$INFLIGHT" --duration "$SECS")
  t1=$(cpu_ticks "$BPID")
  if [[ $DRAIN == 1 ]]; then
    local sent
    sent=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sent"])' "$prod")
    cons=$(bench consumer -n "$NAMESRV" -t "$topic" -g "drain$RANDOM" --expect "$sent" --idle 20)
  fi
  local rss
  rss=$(awk '/RssAnon/ {print $2}' "/proc/$BPID/status")
  if [[ $side == ours ]]; then stop_ours; else stop_peer; fi
  python3 - "$side" "$run" "$MODE" "$prod" "$cons" "$t0" "$t1" "$TICKS" "$rss" <<'EOF' | tee -a "$OUT"
import json, sys
side, run, mode, prod, cons, t0, t1, ticks, rss = sys.argv[1:]
p = json.loads(prod)
line = {"side": side, "run": int(run), "mode": mode, "producer": p,
        "broker_cpu_us_per_msg": round((int(t1) - int(t0)) / int(ticks) * 1e6 / max(p["sent"], 1), 2),
        "mqbench_cpu_us_per_msg": round(p["mqbench_cpu_s"] * 1e6 / max(p["sent"], 1), 2),
        "broker_rss_anon_kb_after": int(rss)}
if cons:
    c = json.loads(cons)
    line["consumer"] = c
print(json.dumps(line))
EOF
}

for run in $(seq "$RUNS"); do
  for side in $SIDES; do
    echo "== $side run $run ($MODE, ${SECS}s)" >&2
    one_run "$side" "$run"
  done
done

python3 - "$OUT" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(xs):
    return statistics.median(xs) if xs else float("nan")
print()
print("side  runs  msgs/s (median, range)          p50 ms  p99 ms  broker us/msg  mqbench us/msg  drain msgs/s")
for side in dict.fromkeys(r["side"] for r in rows):
    rs = [r for r in rows if r["side"] == side]
    tput = [r["producer"]["msgs_per_s"] for r in rs]
    drain = [r["consumer"]["msgs_per_s"] for r in rs if "consumer" in r]
    print(f"{side:5} {len(rs):4}  {med(tput):10,.0f} ({min(tput):,.0f} - {max(tput):,.0f})"
          f"  {med([r['producer']['p50_ms'] for r in rs]):6.2f}  {med([r['producer']['p99_ms'] for r in rs]):6.2f}"
          f"  {med([r['broker_cpu_us_per_msg'] for r in rs]):13.2f}  {med([r['mqbench_cpu_us_per_msg'] for r in rs]):14.2f}"
          f"  {med(drain):12,.0f}")
EOF
