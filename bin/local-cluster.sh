#!/usr/bin/env bash
# A local RocketMQ cluster in the foreground: one NameServer (conf/namesrv.conf,
# port 9876) and one broker (conf/broker.conf, port 10911, store ~/store).
# Ctrl-C (or SIGTERM) stops the broker first (it unregisters and flushes),
# then the NameServer.
#
#   bin/local-cluster.sh            # builds target/release if needed
#   BIN=target/debug bin/local-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release}
NAMESRV_PORT=${NAMESRV_PORT:-9876}

if [[ ! -x $BIN/mqnamesrv || ! -x $BIN/mqbroker ]]; then
  echo "building $BIN/mqnamesrv and $BIN/mqbroker ..."
  if [[ $BIN == target/release ]]; then cargo build --release --bins; else cargo build --bins; fi
fi

# The children run in their own process groups, so Ctrl-C reaches only this
# script, which then stops them in order.
start() { if command -v setsid >/dev/null; then setsid "$@" & else "$@" & fi; }

ns_pid= broker_pid=
stop() {
  trap - INT TERM
  if [[ -n $broker_pid ]]; then kill -TERM "$broker_pid" 2>/dev/null || true; wait "$broker_pid" || true; fi
  if [[ -n $ns_pid ]]; then kill -TERM "$ns_pid" 2>/dev/null || true; wait "$ns_pid" || true; fi
  echo "local cluster stopped"
  exit 0
}
trap stop INT TERM

start "$BIN/mqnamesrv" -c conf/namesrv.conf -n "$NAMESRV_PORT"
ns_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$NAMESRV_PORT") 2>/dev/null && break
  kill -0 "$ns_pid" 2>/dev/null || { echo "mqnamesrv exited" >&2; exit 1; }
  sleep 0.1
done

start "$BIN/mqbroker" -c conf/broker.conf -n "127.0.0.1:$NAMESRV_PORT"
broker_pid=$!

# Run until Ctrl-C, or until either process exits by itself.
while kill -0 "$ns_pid" 2>/dev/null && kill -0 "$broker_pid" 2>/dev/null; do
  sleep 0.5 &
  wait $! || true
done
echo "a cluster process exited; stopping the other" >&2
stop
