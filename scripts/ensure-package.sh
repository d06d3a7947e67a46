#!/usr/bin/env bash
# ensure-package.sh PACKAGE COMMAND WHAT-FOR: on a Debian machine where
# COMMAND is missing, install PACKAGE; elsewhere, or without root, say how.
# A failed install never fails the caller: what needed it says why instead.
set -euo pipefail
package=$1 command=$2 why=$3
if command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      echo "ensure-package: $command is missing and installing it needs root: apt-get install $package ($why)" >&2; exit 0
    fi
  fi
  echo "ensure-package: installing $package ($why)" >&2
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }; then
    echo "ensure-package: could not install $package" >&2
  fi
  exit 0
fi
echo "ensure-package: $command is missing; install $package ($why)" >&2
