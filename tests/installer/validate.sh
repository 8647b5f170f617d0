#!/usr/bin/env bash
# validate.sh desktop|metainfo|man FILE: runs the freedesktop validators, or renders a man page
# the way lintian does and fails on any warning. Exit 77 (skip) when the tool is absent.
set -euo pipefail
kind=$1 file=$2

need() { # TOOL PACKAGE
  if ! command -v "$1" >/dev/null; then
    echo "SKIP: $1 not found; install the Debian package $2"
    exit 77
  fi
}

case $kind in
desktop)
  need desktop-file-validate desktop-file-utils
  out=$(desktop-file-validate "$file" 2>&1) || { echo "$out"; exit 1; }
  # It exits 0 on hints and warnings too: any output is a finding.
  if [ -n "$out" ]; then echo "$out"; exit 1; fi
  ;;
metainfo)
  need appstreamcli appstream
  # --no-net: the validator would otherwise fail offline on every URL.
  appstreamcli validate --no-net --explain "$file"
  ;;
man)
  need man man-db
  need groff groff-base
  warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$file" 2>&1 >/dev/null)
  if [ -n "$warnings" ]; then echo "$warnings"; exit 1; fi
  lines=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$file" 2>/dev/null | wc -l)
  echo "$file renders as $lines lines without warnings"
  [ "$lines" -gt 20 ]
  ;;
*)
  echo "usage: validate.sh desktop|metainfo|man FILE" >&2
  exit 2
  ;;
esac
