#!/usr/bin/env bash
# Runs the real claude CLI ($REAL_CLAUDE) with the given arguments; its stdout
# goes both to our stdout and, appended, to $TEE_FILE, so a test can compare
# what the server forwarded with what the CLI printed, byte for byte.
# stdin passes through to the CLI; the exit status is the CLI's.
# `--version` (the server's CLI detection) is not a run: keep it out of the file.
if [ "${1:-}" = "--version" ]; then exec "$REAL_CLAUDE" "$@"; fi
"$REAL_CLAUDE" "$@" | tee -a "$TEE_FILE"
exit "${PIPESTATUS[0]}"
