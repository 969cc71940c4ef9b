#!/usr/bin/env bash
# Builds the peer broker (mxsm/rocketmq-rust, cached under ~/.cache/rmq-peer:
# about 25 minutes the first time on 2 cores, instant afterwards), starts it on
# loopback, runs the SDK's peer test suites against it and always stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$(pwd)/../shared}
BENCH=$SHARED/bench
export NAMESRV_PORT=${PEER_NAMESRV_PORT:-39876}
export BROKER_PORT=${PEER_BROKER_PORT:-40911}
export HA_PORT=$((BROKER_PORT + 1))

bash "$BENCH/build-peer.sh"
# A peer left over on these ports (an interrupted earlier run) is stopped first.
bash "$BENCH/stop-peer.sh" >/dev/null 2>&1 || true
trap 'bash "$BENCH/stop-peer.sh" || true' EXIT
out=$(bash "$BENCH/run-peer.sh")
echo "$out"
addr=$(echo "$out" | sed -n 's/^NAMESRV_ADDR=//p' | tail -n 1)
if [ -z "$addr" ]; then
  echo "peer: run-peer.sh printed no NAMESRV_ADDR" >&2
  exit 1
fi
# The peer suites are the test targets named *_peer; they talk to the broker
# behind RMQ_PEER_NAMESRV and fail (not skip) when it is set but broken.
RMQ_PEER_NAMESRV=$addr cargo test -p rmq-tests --no-fail-fast --test '*_peer' -- --test-threads=1
