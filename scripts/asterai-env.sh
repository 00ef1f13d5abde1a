#!/usr/bin/env bash
# Makes a local asterai environment of local component files, offline.
#
#   scripts/asterai-env.sh ENV NAMESPACE:NAME@VERSION=FILE.wasm ... [--var NAME=VALUE ...]
#
# The asterai CLI keeps everything under $HOME/.asterai: give it a HOME of its own. The
# environment ENV becomes `local:ENV`, made anew (an earlier one of that name is removed).
# No CLI command adds a local .wasm offline, so each component is placed where
# `asterai component push` caches it ($HOME/.asterai/bin/artifacts/NS/NAME@VERSION/), then
# added with its version. Variables are set with `asterai env set-var`.
#
#   ASTERAI   the CLI (`make asterai-cli` installs it; the Makefile passes its path)
set -euo pipefail
[ -x "${ASTERAI:-}" ] || { echo "asterai-env: set ASTERAI to the asterai CLI (make asterai-cli)" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: $0 ENV NS:NAME@VERSION=FILE.wasm ... [--var K=V ...]" >&2; exit 2; }
env_name=$1; shift
artifacts="$HOME/.asterai/bin/artifacts"

rm -rf "$artifacts/local/$env_name@0.0.0"
"$ASTERAI" env init "$env_name" >/dev/null

vars=()
while [ $# -gt 0 ]; do
    case "$1" in
        --var) vars+=(--var "$2"); shift 2 ;;
        *=*)
            component=${1%%=*} file=${1#*=}
            namespace=${component%%:*} rest=${component#*:}
            case "$rest" in *@*) ;; *) echo "asterai-env: $component: give NS:NAME@VERSION" >&2; exit 2 ;; esac
            [ -f "$file" ] || { echo "asterai-env: $file is missing" >&2; exit 1; }
            dir="$artifacts/$namespace/$rest"
            mkdir -p "$dir"
            cp "$file" "$dir/component.wasm"
            echo '{"kind":"component"}' > "$dir/metadata.json"
            "$ASTERAI" env add-component "$env_name" "$component" >/dev/null
            shift ;;
        *) echo "asterai-env: unexpected argument: $1" >&2; exit 2 ;;
    esac
done
if [ ${#vars[@]} -gt 0 ]; then
    "$ASTERAI" env set-var "$env_name" "${vars[@]}" >/dev/null
fi
