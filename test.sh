#!/usr/bin/env bash
# Runs Plansmith's tests on a fresh Debian or Ubuntu machine with the .NET SDK 10: installs what
# the tests need when it can (bubblewrap, util-linux and python3 for the Python sandbox, Chromium
# for the HTML report test), says exactly what to install when it cannot, then runs
# `dotnet test Agent.sln`. Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET SDK 10 is required and 'dotnet' is not on PATH. Install it: https://dot.net/download (Debian/Ubuntu: the dotnet-sdk-10.0 package)." >&2
  exit 1
fi

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
{ command -v prlimit >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; } || missing+=(util-linux)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "$sudo" ] || sudo -n true 2>/dev/null; then
      echo "Installing what the tests need: ${missing[*]}"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "error: the tests need ${missing[*]}. Install them, then run ./test.sh again:" >&2
      echo "  sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  else
    echo "error: the tests need ${missing[*]} (Debian/Ubuntu package names), and this system has no apt-get." >&2
    echo "Install the equivalents with your package manager, then run ./test.sh again." >&2
    exit 1
  fi
fi

# Build first: the CLI's process tests copy the built CLI, and a build racing the tests on a fresh
# clone can leave them without it.
dotnet build Agent.sln -nologo -v quiet
exec dotnet test Agent.sln --no-build "$@"
