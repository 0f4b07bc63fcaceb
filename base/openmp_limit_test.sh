#!/usr/bin/env bash
# EnsureOpenMpThreadLimit: sets an unset limit by re-executing in place (same
# pid), keeps an operator's own value, replaces it only when asked.
set -euo pipefail
probe=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(env -u OMP_THREAD_LIMIT "$probe" 1 2>err.txt) || fail "probe exited $?"
[[ $out == *"OMP_THREAD_LIMIT=1" ]] || fail "unset limit not set: $out"
before=$(sed -n 's/^before pid=//p' err.txt | head -1)
[[ $(grep -c '^before pid=' err.txt) == 2 ]] || fail "expected one re-execution: $(cat err.txt)"
[[ $out == "pid=$before "* ]] || fail "re-execution changed the pid: $before vs $out"

out=$(OMP_THREAD_LIMIT=3 "$probe" 1 2>err.txt)
[[ $out == *"OMP_THREAD_LIMIT=3" ]] || fail "operator's limit not kept: $out"
[[ $(grep -c '^before pid=' err.txt) == 1 ]] || fail "re-executed although the limit was set"

out=$(OMP_THREAD_LIMIT=3 "$probe" 2 replace 2>err.txt)
[[ $out == *"OMP_THREAD_LIMIT=2" ]] || fail "replace did not replace: $out"
out=$(OMP_THREAD_LIMIT=2 "$probe" 2 replace 2>err.txt)
[[ $(grep -c '^before pid=' err.txt) == 1 ]] || fail "re-executed for an equal limit"
rm -f err.txt
echo "ok"
