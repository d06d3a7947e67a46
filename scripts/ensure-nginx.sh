#!/usr/bin/env bash
# The deployment-recipe test (test/deploy/nginx.test.ts) runs nginx in front
# of the depot. On a fresh Debian machine, install it; elsewhere say how.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      echo "ensure-nginx: nginx is missing and installing it needs root: apt-get install nginx-light" >&2; exit 0
    fi
  fi
  echo "ensure-nginx: installing nginx-light (for the nginx deployment test)" >&2
  # A failed install leaves the other tests to run; the nginx test then fails and says why.
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }; then
    echo "ensure-nginx: could not install nginx-light" >&2
  fi
  exit 0
fi
echo "ensure-nginx: nginx is missing; install it for the deployment test" >&2
