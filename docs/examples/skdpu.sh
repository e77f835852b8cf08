#!/bin/bash
# Example SKDPU NT response script for xdrhub (docs/connectors/skdpu.md).
#
# Contract:   skdpu.sh block-account <login>     skdpu.sh unblock-account <login>
#             skdpu.sh terminate-sessions <login>
# Environment: XDRHUB_COMMENT, XDRHUB_ALERT_ID, XDRHUB_TARGET_KIND, XDRHUB_TARGET_VALUE (optional)
# Exit codes: 0 done (also "already blocked"/"not blocked"/"no sessions"), 2 bad arguments,
#             3 SKDPU NT refused.
#
# This example keeps blocked accounts in a file and logs session terminations, and marks where
# your site's call to SKDPU NT goes (its API is not public). Values are only ever used quoted.
set -euo pipefail

STATE_DIR="${SKDPU_STATE_DIR:-./skdpu-state}"   # relative to the working directory

usage() { echo "usage: $0 block-account|unblock-account|terminate-sessions <login>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 login=$2

# The same rule xdrhub applies: letters, digits, . _ -, optional @domain, no leading dash.
if ! [[ $login =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}(@[A-Za-z0-9.-]{1,253})?$ ]]; then
  echo "not an account name: $login" >&2
  exit 2
fi

# --- your site: call SKDPU NT here (block/unblock the user, end their sessions). Exit 3 if it refuses.
skdpu_apply() { :; }

mkdir -p "$STATE_DIR"
blocked="$STATE_DIR/blocked.txt"
touch "$blocked"
exec 9>>"$STATE_DIR/.lock"
flock -w 30 9 || { echo "another run holds $STATE_DIR/.lock" >&2; exit 3; }

case $action in
  block-account)
    if grep -qxF -- "$login" "$blocked"; then echo "already blocked: $login"; exit 0; fi
    skdpu_apply block "$login" || { echo "SKDPU NT refused to block $login" >&2; exit 3; }
    printf '%s\n' "$login" >> "$blocked"
    echo "blocked: $login"
    ;;
  unblock-account)
    if ! grep -qxF -- "$login" "$blocked"; then echo "not blocked: $login"; exit 0; fi
    skdpu_apply unblock "$login" || { echo "SKDPU NT refused to unblock $login" >&2; exit 3; }
    grep -vxF -- "$login" "$blocked" > "$blocked.tmp" || true
    mv -- "$blocked.tmp" "$blocked"
    echo "unblocked: $login"
    ;;
  terminate-sessions)
    skdpu_apply terminate "$login" || { echo "SKDPU NT refused to end the sessions of $login" >&2; exit 3; }
    printf '%s\t%s\n' "$(date -u +%FT%TZ)" "$login" >> "$STATE_DIR/terminated.log"
    echo "sessions terminated: $login"
    ;;
  *) usage ;;
esac
