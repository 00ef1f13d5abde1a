#!/usr/bin/env bash
# Serves the component composed with a consumer under `wasmtime serve`.
#
# Without Meta credentials (WHATSAPP_ACCESS_TOKEN unset) it also starts the sandbox, a
# local stand-in for Meta with a WhatsApp-like chat page, and points the component at it.
# With credentials it serves for real: put an HTTPS tunnel in front of PORT and give Meta
# that URL.
#
#   PORT          the webhook's port (8080)
#   SANDBOX_PORT  the sandbox's port (8081)
#   COMPOSED      the composed component to serve (made by `make serve`)
#   STATE_DIR     host directory for the dedup store (target/state)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8080}
SANDBOX_PORT=${SANDBOX_PORT:-8081}
COMPOSED=${COMPOSED:-target/composed/serve.wasm}
STATE_DIR=${STATE_DIR:-target/state}
SANDBOX_BIN=${SANDBOX_BIN:-target/release/sandbox}

mkdir -p "$STATE_DIR"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

args=(serve -Scli --addr "127.0.0.1:$PORT" --dir "$STATE_DIR::/state")

if [ -z "${WHATSAPP_ACCESS_TOKEN:-}" ]; then
    # Sandbox mode: every secret is a local, well-known sandbox value.
    export WHATSAPP_APP_SECRET=sandbox-app-secret
    export WHATSAPP_WEBHOOK_VERIFY_TOKEN=sandbox-verify-token
    export WHATSAPP_ACCESS_TOKEN=sandbox-access-token
    export WHATSAPP_PHONE_NUMBER_ID=100000000000001
    export WHATSAPP_GRAPH_API_URL="http://127.0.0.1:$SANDBOX_PORT"
    sandbox=1
    echo "serve: no Meta credentials (WHATSAPP_ACCESS_TOKEN unset): using the local sandbox"
else
    sandbox=0
    for required in WHATSAPP_APP_SECRET WHATSAPP_WEBHOOK_VERIFY_TOKEN WHATSAPP_PHONE_NUMBER_ID; do
        [ -n "${!required:-}" ] || echo "serve: warning: $required is not set (see GET /health)"
    done
fi

# Pass every WHATSAPP_* variable that is set through to the component (names only on
# the command line; values are inherited, never printed).
while IFS='=' read -r name _; do
    case "$name" in WHATSAPP_*) args+=(--env "$name") ;; esac
done < <(env)

wasmtime "${args[@]}" "$COMPOSED" &
pids+=($!)

# Wait for the component to answer.
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

if [ "$sandbox" = 1 ]; then
    "$SANDBOX_BIN" --listen "127.0.0.1:$SANDBOX_PORT" --webhook "http://127.0.0.1:$PORT/" \
        --app-secret "$WHATSAPP_APP_SECRET" --access-token "$WHATSAPP_ACCESS_TOKEN" \
        --phone-number-id "$WHATSAPP_PHONE_NUMBER_ID" --verify-token "$WHATSAPP_WEBHOOK_VERIFY_TOKEN" &
    pids+=($!)
    echo "serve: webhook on http://127.0.0.1:$PORT/ — open the chat at http://127.0.0.1:$SANDBOX_PORT/ (Ctrl-C stops both)"
else
    echo "serve: webhook on http://127.0.0.1:$PORT/ (health: http://127.0.0.1:$PORT/health; Ctrl-C stops)"
fi

# Stop when either process stops.
wait -n "${pids[@]}"
