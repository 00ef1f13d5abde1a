#!/usr/bin/env bash
# Serves the asterai build with a consumer on the asterai runtime (`asterai env run`).
#
# Without Meta credentials (WHATSAPP_ACCESS_TOKEN unset) it also starts the sandbox, as
# scripts/serve.sh does, and points the component at it. With credentials it serves for
# real: put an HTTPS tunnel in front of PORT and give Meta the webhook URL it prints.
#
#   PORT          the runtime's port (8080)
#   SANDBOX_PORT  the sandbox's port (8081)
#   ASTERAI       the asterai CLI (the Makefile passes it)
#   COMPONENT     the asterai build (target/asterai/wasm32-wasip2/release/whatsapp.wasm)
#   CONSUMER      the consumer's .wasm (the echo bot)
#   ASTERAI_HOME  the CLI's HOME, where the environment is made (target/asterai-home)
#   STATE_DIR     the folder given to --allow-dir; dedup state goes to its whatsapp/ (target/state-asterai)
#
# The environment is `local:whatsapp` with the components `local:whatsapp@0.4.0` and
# `local:consumer@0.4.0`; WHATSAPP_INCOMING_HANDLER_COMPONENTS names the consumer.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8080}
SANDBOX_PORT=${SANDBOX_PORT:-8081}
COMPONENT=${COMPONENT:-target/asterai/wasm32-wasip2/release/whatsapp.wasm}
CONSUMER=${CONSUMER:-target/wasm32-wasip2/release/echo_bot.wasm}
ASTERAI_HOME=${ASTERAI_HOME:-$PWD/target/asterai-home}
STATE_DIR=${STATE_DIR:-$PWD/target/state-asterai}
SANDBOX_BIN=${SANDBOX_BIN:-target/release/sandbox}
WEBHOOK_PATH=/local/whatsapp/local/whatsapp/

mkdir -p "$ASTERAI_HOME" "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ -z "${WHATSAPP_ACCESS_TOKEN:-}" ]; then
    export WHATSAPP_APP_SECRET=sandbox-app-secret
    export WHATSAPP_WEBHOOK_VERIFY_TOKEN=sandbox-verify-token
    export WHATSAPP_ACCESS_TOKEN=sandbox-access-token
    export WHATSAPP_PHONE_NUMBER_ID=100000000000001
    export WHATSAPP_GRAPH_API_URL="http://127.0.0.1:$SANDBOX_PORT"
    sandbox=1
    echo "serve-asterai: no Meta credentials (WHATSAPP_ACCESS_TOKEN unset): using the local sandbox"
else
    sandbox=0
fi
export WHATSAPP_INCOMING_HANDLER_COMPONENTS=${WHATSAPP_INCOMING_HANDLER_COMPONENTS:-local:consumer}

# Every WHATSAPP_* variable that is set goes into the environment (`asterai env set-var`).
vars=()
while IFS='=' read -r name _; do
    case "$name" in WHATSAPP_*) vars+=(--var "$name=${!name}") ;; esac
done < <(env)

HOME="$ASTERAI_HOME" scripts/asterai-env.sh whatsapp \
    "local:whatsapp@0.4.0=$COMPONENT" "local:consumer@0.4.0=$CONSUMER" "${vars[@]}"

HOME="$ASTERAI_HOME" "$ASTERAI" env run whatsapp --no-pull -p "$PORT" --allow-dir "$STATE_DIR" &
pids+=($!)

for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

webhook="http://127.0.0.1:$PORT$WEBHOOK_PATH"
if [ "$sandbox" = 1 ]; then
    "$SANDBOX_BIN" --listen "127.0.0.1:$SANDBOX_PORT" --webhook "$webhook" \
        --app-secret "$WHATSAPP_APP_SECRET" --access-token "$WHATSAPP_ACCESS_TOKEN" \
        --phone-number-id "$WHATSAPP_PHONE_NUMBER_ID" --verify-token "$WHATSAPP_WEBHOOK_VERIFY_TOKEN" &
    pids+=($!)
    echo "serve-asterai: webhook on $webhook — open the chat at http://127.0.0.1:$SANDBOX_PORT/ (Ctrl-C stops both)"
else
    echo "serve-asterai: webhook on $webhook (health: ${webhook}health; Ctrl-C stops)"
fi

wait -n "${pids[@]}"
