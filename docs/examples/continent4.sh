#!/bin/bash
# Example Continent 4 response script for xdrhub (docs/connectors/continent4.md).
#
# Contract:   continent4.sh block-ip <ip>     continent4.sh unblock-ip <ip>
# Environment: XDRHUB_COMMENT, XDRHUB_ALERT_ID, XDRHUB_TARGET_KIND, XDRHUB_TARGET_VALUE (optional)
# Exit codes: 0 done (also "already blocked"/"not blocked"), 2 bad arguments, 3 Continent refused.
#
# This example keeps the blocklist in a file and marks where your site's call to Continent 4
# goes (its management API is not public: use your configuration manager's tooling). Values
# are only ever used quoted ("$ip"), never evaluated.
set -euo pipefail

STATE_FILE="${CONTINENT4_STATE_FILE:-./continent4-blocked.txt}"   # relative to the working directory

usage() { echo "usage: $0 block-ip|unblock-ip <ip>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 ip=$2

# xdrhub validates addresses before calling; check again, the script may be run by hand.
ipv4='^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$'
ipv6='^[0-9A-Fa-f:.]{2,45}$'
if ! [[ $ip =~ $ipv4 || ( $ip == *:* && $ip =~ $ipv6 ) ]]; then
  echo "not an IP address: $ip" >&2
  exit 2
fi

# --- your site: apply the change in Continent 4 here, e.g. add "$ip" to the network object
# --- group used by the blocking rule and install the policy. Exit 3 if it refuses.
continent_apply() { :; }

mkdir -p "$(dirname "$STATE_FILE")"
touch "$STATE_FILE"
exec 9>>"$STATE_FILE.lock"
flock -w 30 9 || { echo "another run holds $STATE_FILE.lock" >&2; exit 3; }

case $action in
  block-ip)
    if grep -qxF -- "$ip" "$STATE_FILE"; then echo "already blocked: $ip"; exit 0; fi
    continent_apply block "$ip" || { echo "Continent 4 refused to block $ip" >&2; exit 3; }
    printf '%s\n' "$ip" >> "$STATE_FILE"
    echo "blocked: $ip${XDRHUB_COMMENT:+ ($XDRHUB_COMMENT)}"
    ;;
  unblock-ip)
    if ! grep -qxF -- "$ip" "$STATE_FILE"; then echo "not blocked: $ip"; exit 0; fi
    continent_apply unblock "$ip" || { echo "Continent 4 refused to unblock $ip" >&2; exit 3; }
    grep -vxF -- "$ip" "$STATE_FILE" > "$STATE_FILE.tmp" || true
    mv -- "$STATE_FILE.tmp" "$STATE_FILE"
    echo "unblocked: $ip"
    ;;
  *) usage ;;
esac
