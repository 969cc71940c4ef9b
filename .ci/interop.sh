#!/usr/bin/env bash
# Interoperability check: the third-party client crate rocketmq-client-rust (crates.io, pinned in
# interop/Cargo.toml) produces to and consumes from our mqnamesrv + mqbroker, every scenario with
# JSON headers and with binary (ROCKETMQ) headers.
#
#   .ci/interop.sh                  build interop (cached), start our servers, run all, stop them
#   INTEROP_NAMESRV=host:port .ci/interop.sh    run against an already running cluster instead
#
# Settings (environment):
#   MQNAMESRV, MQBROKER   our release binaries (default target/release/{mqnamesrv,mqbroker};
#                         build them first: cargo build --release --bins)
#   INTEROP_TARGET        cargo target dir of the interop crate (default ~/.cache/rmq-interop/target,
#                         kept between runs: the first build takes several minutes)
#   INTEROP_SCENARIOS     default "sync oneway batch tags tags-spaced broadcast orderly"
#                         (tags-spaced subscribes "TagA || TagB", which the client 1.0.0 hashes
#                         untrimmed: it passes only on a broker that derives tag codes from the
#                         expression, as ours does; the peer and Java's broker deliver nothing)
#   INTEROP_SERIALIZE     default "json rocketmq"
#   INTEROP_TIMEOUT       seconds per scenario (default 60)
#   INTEROP_MESSAGES      messages per scenario (default 32)
#   INTEROP_BOOT_WAIT     seconds to wait for each server's boot-success line (default 30)
#   INTEROP_KEEP=1        keep the work dir (configs, store, logs) instead of deleting it
#   INTEROP_TRACE         on a failure, rerun the scenario under strace and print each request
#                         that got a non-zero response code, with the response's remark
#                         (interop/tools/strace-frames.py); default 1 when strace is installed
#
# Prints one result line per scenario, then "interop: N passed, M failed"; exits 1 on any failure.
# Always stops the servers it started (trap), bounded: SIGTERM, then SIGKILL after 10 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP_TARGET="${INTEROP_TARGET:-$HOME/.cache/rmq-interop/target}"
MQNAMESRV="${MQNAMESRV:-$ROOT/target/release/mqnamesrv}"
MQBROKER="${MQBROKER:-$ROOT/target/release/mqbroker}"
SCENARIOS="${INTEROP_SCENARIOS:-sync oneway batch tags tags-spaced broadcast orderly}"
SERIALIZE="${INTEROP_SERIALIZE:-json rocketmq}"
SCENARIO_TIMEOUT="${INTEROP_TIMEOUT:-60}"
MESSAGES="${INTEROP_MESSAGES:-32}"
BOOT_WAIT="${INTEROP_BOOT_WAIT:-30}"
NAMESRV_ADDR="${INTEROP_NAMESRV:-}"
TRACE="${INTEROP_TRACE:-1}"
command -v strace > /dev/null 2>&1 && command -v python3 > /dev/null 2>&1 || TRACE=0

log() { echo "interop: $*" >&2; }
die() { log "$*"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rmq-interop.XXXXXX")"
PIDS=()

cleanup() {
    local pid i
    # broker first, then the name server
    for (( i = ${#PIDS[@]} - 1; i >= 0; i-- )); do
        pid="${PIDS[$i]}"
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [[ "${INTEROP_KEEP:-0}" == "1" ]]; then
        log "work dir kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build the client side (cached) -------------------------------------------------------------
t0=$(date +%s)
log "building interop into $INTEROP_TARGET (first build: about 8 min on 2 cores; then seconds)"
CARGO_TARGET_DIR="$INTEROP_TARGET" cargo build --quiet --release --locked \
    --manifest-path "$ROOT/interop/Cargo.toml" || die "building interop failed"
INTEROP_BIN="$INTEROP_TARGET/release/interop"
[[ -x "$INTEROP_BIN" ]] || die "no $INTEROP_BIN after the build"
log "interop binary ready in $(( $(date +%s) - t0 )) s"

# --- start our cluster ----------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port with it, it-2 (fast/VIP channel) and it+1 (HA) all unused.
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$(( 20000 + RANDOM % 30000 ))
        if ! port_in_use "$p" && ! port_in_use $(( p - 2 )) && ! port_in_use $(( p + 1 )); then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# wait_boot NAME PID LOG: bounded wait for the "boot success" line; fails if the process exits.
wait_boot() {
    local name=$1 pid=$2 logf=$3 i
    for (( i = 0; i < BOOT_WAIT * 10; i++ )); do
        if grep -q "boot success" "$logf" 2>/dev/null; then
            log "$name: $(grep -m1 "boot success" "$logf")"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 40 "$logf" >&2 || true
            die "$name exited during start-up (log above)"
        fi
        sleep 0.1
    done
    tail -n 40 "$logf" >&2 || true
    die "$name printed no boot-success line within ${BOOT_WAIT} s (log above)"
}

if [[ -z "$NAMESRV_ADDR" ]]; then
    [[ -x "$MQNAMESRV" ]] || die "no name server binary at $MQNAMESRV (cargo build --release --bins, or set MQNAMESRV)"
    [[ -x "$MQBROKER" ]] || die "no broker binary at $MQBROKER (cargo build --release --bins, or set MQBROKER)"
    ns_port=$(free_port) || die "no free port for the name server"
    br_port=$(free_port) || die "no free port for the broker"
    [[ "$ns_port" != "$br_port" ]] || die "port picker returned the same port twice; rerun"
    mkdir -p "$WORK/store"
    mkdir -p "$WORK/namesrv"
    cat > "$WORK/namesrv.conf" <<CONF
listenPort=$ns_port
bindAddress=127.0.0.1
kvConfigPath=$WORK/namesrv/kvConfig.json
configStorePath=$WORK/namesrv/namesrv.properties
CONF
    cat > "$WORK/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=interop-broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$br_port
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$WORK/store
storePathCommitLog=$WORK/store/commitlog
bindAddress=127.0.0.1
rocketmqHome=$WORK
brokerConfigPath=$WORK/broker-runtime.properties
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
flushDiskType=ASYNC_FLUSH
# small files, and no disk-full guard: shared CI disks are often over RocketMQ's 90 % mark
mappedFileSizeCommitLog=67108864
diskSpaceWarningLevelRatio=99
diskMaxUsedSpaceRatio=99
diskSpaceCleanForciblyRatio=99
CONF
    "$MQNAMESRV" -c "$WORK/namesrv.conf" > "$WORK/namesrv.log" 2>&1 < /dev/null &
    PIDS+=($!)
    wait_boot mqnamesrv "${PIDS[0]}" "$WORK/namesrv.log"
    "$MQBROKER" -c "$WORK/broker.conf" > "$WORK/broker.log" 2>&1 < /dev/null &
    PIDS+=($!)
    wait_boot mqbroker "${PIDS[1]}" "$WORK/broker.log"
    NAMESRV_ADDR="127.0.0.1:$ns_port"
fi
log "name server $NAMESRV_ADDR"

# trace_failure SCENARIO SERIALIZE: rerun under strace; print the failed request/response pairs.
trace_failure() {
    [[ "$TRACE" == "1" ]] || return 0
    local sc=$1 ser=$2 st="$WORK/$1-$2.strace"
    log "--- rerun of $sc/$ser under strace: requests answered with a non-zero code ---"
    timeout --kill-after=5 $(( SCENARIO_TIMEOUT + 15 )) \
        strace -f -qq -e trace=connect,close,read,write,writev,readv,recvfrom,sendto -e signal=none \
        -xx -s 4000000 -o "$st" \
        "$INTEROP_BIN" --namesrv "$NAMESRV_ADDR" --scenario "$sc" --serialize "$ser" \
        --messages "$MESSAGES" --timeout-secs "$SCENARIO_TIMEOUT" 2> /dev/null | sed 's/^/  rerun: /' >&2 || true
    if [[ -s "$st" ]]; then
        python3 "$ROOT/interop/tools/strace-frames.py" "$st" --errors --skip-code=17 --skip-code=22 2>&1 \
            | head -n 40 | cut -c1-600 >&2 || true
        rm -f "$st"
    fi
}

# --- run the scenarios ----------------------------------------------------------------------------
passed=0
failed=0
failures=()
for ser in $SERIALIZE; do
    for sc in $SCENARIOS; do
        out="$WORK/$sc-$ser.out"
        err="$WORK/$sc-$ser.stderr"
        rc=0
        # The binary bounds itself (--timeout-secs); timeout(1) is the backstop.
        timeout --kill-after=5 $(( SCENARIO_TIMEOUT + 15 )) \
            "$INTEROP_BIN" --namesrv "$NAMESRV_ADDR" --scenario "$sc" --serialize "$ser" \
            --messages "$MESSAGES" --timeout-secs "$SCENARIO_TIMEOUT" > "$out" 2> "$err" || rc=$?
        line="$(grep -m1 '^interop: scenario=' "$out" || true)"
        if [[ -z "$line" ]]; then
            line="interop: scenario=$sc serialize=$ser result=FAIL error=\"no result line (exit $rc)\""
        fi
        echo "$line"
        if [[ $rc -eq 0 && "$line" == *"result=PASS"* ]]; then
            passed=$(( passed + 1 ))
        else
            failed=$(( failed + 1 ))
            failures+=("$sc/$ser")
            if [[ -s "$err" ]]; then
                log "--- client log of $sc/$ser (last 20 WARN/ERROR lines) ---"
                grep -E ' (WARN|ERROR) ' "$err" | grep -v 'RouteInfoFromNameServer is not exist' \
                    | tail -n 20 | cut -c1-400 >&2 || true
            fi
            trace_failure "$sc" "$ser"
        fi
    done
done

if (( failed > 0 )) && [[ -f "$WORK/broker.log" ]]; then
    log "--- broker log (last 40 lines) ---"
    tail -n 40 "$WORK/broker.log" >&2 || true
fi
echo "interop: $passed passed, $failed failed${failures:+ (${failures[*]})}"
(( failed == 0 ))
