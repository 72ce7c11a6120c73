#!/usr/bin/env bash
# Make sure a Docker daemon answers; start one in the background if none does.
# Idempotent: a daemon that already answers is left alone. Used by CI and the test set-up.
set -u

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if answers; then
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    echo "ensure-dockerd: no Docker daemon answers and dockerd is not installed (apt-get install docker.io)" >&2
    exit 1
fi

log="${DOCKERD_LOG:-/tmp/dockerd.log}"
# Another caller may be starting it right now: only start one if no dockerd process exists.
if ! pgrep -x dockerd >/dev/null 2>&1; then
    # A session of its own and a clean environment: started from a test, it must not carry that test's
    # WFEXEC_HOME or TMPDIR (tests that end every process naming their home would end the daemon too),
    # nor die with the test's process group. The log is appended to, so a daemon's end stays readable.
    setsid env -i PATH="$PATH" HOME="${HOME:-/root}" nohup dockerd >>"$log" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
    if answers; then
        exit 0
    fi
    sleep 0.5
done

echo "ensure-dockerd: dockerd did not answer within 30 s; see $log" >&2
tail -n 20 "$log" >&2 2>/dev/null || true
exit 1
