#!/usr/bin/env bash
# End-to-end: the engine (`entrain run/resume/stop`) on the toy campaign of examples/toy
# (Python standard-library explore and label commands, real processes, real database).
# An uninterrupted reference run; kill -9 of the engine at every phase (test-only
# ENTRAIN_TEST_CRASH_AT), inside the job layer and at a random moment while labels run,
# each resumed: same labelled data set as the reference, no job run twice, integrity ok.
# Also `entrain stop`, NaN forces, garbage output and timeouts (rejected with a reason),
# failing label jobs (the step fails with the reason, the campaign stays resumable), and
# the built-in mcmc explorer.
# Usage: test_engine.sh PATH/TO/entrain
set -uo pipefail
ENTRAIN=$(realpath "${1:?usage: test_engine.sh ENTRAIN}")
SRC=${ENTRAIN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d)
BG=
cleanup() { [ -n "$BG" ] && kill -9 "$BG" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
py() { python3 -c "$@"; }
# q DB SQL: one value (read-only)
q() { py "import sqlite3,sys; c=sqlite3.connect('file:$1?mode=ro', uri=True); r=c.execute(sys.argv[1]).fetchone(); print(r[0] if r else '')" "$2"; }
integrity() { [ "$(q "$1" 'pragma integrity_check')" = ok ]; }
# fresh NAME: a copy of the toy campaign in $TMP/NAME without any database
fresh() {
  rm -rf "${TMP:?}/$1"; mkdir -p "$TMP/$1"
  cp "$SRC"/examples/toy/{campaign.lua,explore.py,label.py,train.py,toyxyz.py,seed.xyz} "$TMP/$1/"
  D=$TMP/$1
}
# no_rerun DIR: every job ran once (the toy commands log their workdir per run) and the
# number of label runs equals the label jobs in the database
no_rerun() {
  local d=$1 dup
  dup=$(cat "$d"/toy.db.jobs/*_runs.log 2>/dev/null | sort | uniq -d)
  [ -z "$dup" ] || { echo "ran twice: $dup"; return 1; }
  local runs jobs
  runs=$(cat "$d/toy.db.jobs/label_runs.log" 2>/dev/null | wc -l)
  jobs=$(q "$d/toy.db" "select count(*) from job where kind='label'")
  [ "$runs" -eq "$jobs" ] || { echo "label runs $runs, label jobs $jobs"; return 1; }
}
export_labelled() { "$ENTRAIN" export "$1/toy.db" --status labelled -o "$2" >/dev/null 2>&1; }

# ---- the reference run ----
fresh ref
if (cd "$D" && "$ENTRAIN" run campaign.lua >"$TMP/out" 2>"$TMP/err"); then
  ok "reference run finishes"
else
  bad "reference run: exit $?"; cat "$TMP/err"
fi
grep -q "finished: generation 3: limits.max_generations = 3 reached" "$TMP/out" &&
  ok "max_generations honoured" || { bad "stop message"; cat "$TMP/out"; }
[ "$(q "$D/toy.db" "select count(*) from generation where phase='done'")" = 4 ] &&
  ok "4 generations done" || bad "generations: $(q "$D/toy.db" "select group_concat(id||':'||phase) from generation")"
[ "$(q "$D/toy.db" "select count(*) from generation where id > 0 and rng_seed is not null")" = 3 ] &&
  ok "generation seeds stored" || bad "generation seeds"
nlab=$(q "$D/toy.db" "select count(*) from structure where status='labelled' and generation > 0")
nlabels=$(q "$D/toy.db" "select count(*) from label l join structure s on s.id = l.structure_id where s.generation > 0 and l.validation = 'ok' and l.forces is not null and l.energy is not null")
[ "$nlab" -ge 3 ] && [ "$nlab" = "$nlabels" ] && ok "labels stored ($nlab)" || bad "labels: $nlab structures, $nlabels labels"
[ "$(q "$D/toy.db" "select count(*) from metric where entropy is not null and diversity is not null and novelty is not null and n_environments > 0")" = 3 ] &&
  ok "metrics with novelty for every generation" || bad "metrics"
[ "$(q "$D/toy.db" "select count(*) from score where generation = 2")" = "$(q "$D/toy.db" "select count(*) from structure where generation = 2")" ] &&
  ok "every candidate scored" || bad "scores"
[ "$(q "$D/toy.db" "select kind from decision where structure_id is null and generation = 3")" = stop ] &&
  ok "stop decision recorded" || bad "stop decision"
[ "$(q "$D/toy.db" "select count(*) from structure where origin='explored' and parent_job is not null")" -gt 0 ] &&
  ok "candidates carry origin explored and their job" || bad "origin"
"$ENTRAIN" status "$D/toy.db" >"$TMP/status" 2>&1 && grep -qE '^ +3 done' "$TMP/status" &&
  ok "entrain status shows the campaign" || { bad "status"; cat "$TMP/status"; }
no_rerun "$D" && ok "reference: no job ran twice" || bad "reference: rerun"
integrity "$D/toy.db" && ok "reference: integrity_check" || bad "reference: integrity"
export_labelled "$D" "$TMP/ref.xyz" && [ -s "$TMP/ref.xyz" ] && ok "reference export" || bad "reference export"
(cd "$D" && "$ENTRAIN" run campaign.lua --quiet >"$TMP/out" 2>&1) && grep -q "already finished" "$TMP/out" &&
  ok "run again on a finished campaign does nothing" || { bad "rerun finished"; cat "$TMP/out"; }

# ---- kill -9 at every phase, then resume ----
# crash_resume NAME POINT GEN [resume-with]: crash at POINT in generation GEN, then continue
crash_resume() {
  local name=$1 point=$2 gen=$3 how=${4:-resume}
  fresh "$name"
  (cd "$D" && ENTRAIN_TEST_CRASH_AT=$point ENTRAIN_TEST_CRASH_GEN=$gen \
     "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); local rc=$?
  if [ "$rc" -ne 137 ]; then bad "crash at $point/$gen: exit $rc, want 137"; cat "$TMP/err"; return; fi
  if [ "$how" = resume ]; then
    "$ENTRAIN" resume "$D/toy.db" --quiet >"$TMP/out" 2>"$TMP/err"; rc=$?
  else
    (cd "$D" && "$ENTRAIN" run campaign.lua --quiet >"$TMP/out" 2>"$TMP/err"); rc=$?
  fi
  if [ "$rc" -ne 0 ]; then bad "crash at $point/$gen: $how exit $rc"; cat "$TMP/err"; return; fi
  export_labelled "$D" "$TMP/$name.xyz"
  if ! cmp -s "$TMP/ref.xyz" "$TMP/$name.xyz"; then bad "crash at $point/$gen: data set differs"; return; fi
  if ! no_rerun "$D"; then bad "crash at $point/$gen: a job ran twice"; return; fi
  if ! integrity "$D/toy.db"; then bad "crash at $point/$gen: integrity"; return; fi
  ok "kill -9 at $point (generation $gen), $how: same data set, no job twice, integrity ok"
}
crash_resume c_seed seed 0 run
for p in plan explore_running explore ingest score select label_running label ingest_labels metrics decide; do
  crash_resume "c_$p" "$p" 2
done
crash_resume c_ingest1 ingest 1 run
crash_resume c_before job_before_start 2
crash_resume c_after job_after_start 2

# kill -9 at a random moment while slow label jobs run
fresh c_timed
(cd "$D" && TOY_LABEL_SLEEP=0.4 exec "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>&1) &
BG=$!
sleep 1.3
kill -9 "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; BG=
phase=$(q "$D/toy.db" "select id||':'||phase from generation order by id desc limit 1")
if TOY_LABEL_SLEEP=0.1 "$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>"$TMP/err"; then
  export_labelled "$D" "$TMP/timed.xyz"
  if cmp -s "$TMP/ref.xyz" "$TMP/timed.xyz" && no_rerun "$D" && integrity "$D/toy.db"; then
    ok "kill -9 after 1.3 s (at $phase) and resume: same data set, no job twice"
  else
    bad "timed kill at $phase: result differs"
  fi
else
  bad "timed kill: resume failed"; cat "$TMP/err"
fi

# ---- entrain stop ----
fresh stop
(cd "$D" && TOY_LABEL_SLEEP=0.3 exec "$ENTRAIN" run campaign.lua --quiet >"$TMP/stop.out" 2>&1) &
BG=$!
sleep 0.8
"$ENTRAIN" stop "$D/toy.db" >/dev/null 2>&1
wait "$BG"; rc=$?; BG=
if [ "$rc" -eq 0 ] && grep -q "^stopped" "$TMP/stop.out"; then
  ok "entrain stop: the engine stops cleanly"
  if "$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>&1 && export_labelled "$D" "$TMP/stop.xyz" &&
     cmp -s "$TMP/ref.xyz" "$TMP/stop.xyz" && no_rerun "$D"; then
    ok "resume after stop: same data set"
  else
    bad "resume after stop"
  fi
else
  bad "entrain stop: exit $rc"; cat "$TMP/stop.out"
fi

# ---- NaN forces: rejected with a reason, the campaign goes on ----
fresh nan
if (cd "$D" && TOY_LABEL_MODE=nan "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); then
  nrej=$(q "$D/toy.db" "select count(*) from structure where status='rejected' and status_reason like 'non-finite force%'")
  nval=$(q "$D/toy.db" "select count(*) from label where validation like 'non-finite force%'")
  nok=$(q "$D/toy.db" "select count(*) from structure where status='labelled' and generation > 0")
  [ "$nrej" -gt 0 ] && [ "$nrej" = "$nval" ] && [ "$nok" = 0 ] &&
    ok "NaN forces: $nrej structures rejected with the reason" || bad "NaN: rejected $nrej, validations $nval, labelled $nok"
else
  bad "NaN run failed"; cat "$TMP/err"
fi

# ---- failing label jobs: the step fails with the reason, resumable ----
fresh failing
(cd "$D" && TOY_LABEL_MODE=fail "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); rc=$?
if [ "$rc" -ne 0 ] && grep -q "label jobs failed" "$TMP/err" && grep -q "exit 3" "$TMP/err"; then
  ok "failing label jobs: the step fails with the reason (exit $rc)"
else
  bad "failing label jobs: exit $rc"; cat "$TMP/err"
fi
"$ENTRAIN" status "$D/toy.db" >"$TMP/status" 2>&1 && grep -q "ingest_labels" "$TMP/status" &&
  integrity "$D/toy.db" && ok "failed step: status shows it, integrity ok" || { bad "failed step status"; cat "$TMP/status"; }
"$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>&1; rc=$?
[ "$rc" -ne 0 ] && ok "resume without a larger tolerance fails again (exit $rc)" || bad "resume should fail"
if "$ENTRAIN" resume "$D/toy.db" --quiet --max-failed-fraction 1 >/dev/null 2>"$TMP/err"; then
  nrej=$(q "$D/toy.db" "select count(*) from structure where status='rejected' and status_reason like 'label job failed%'")
  [ "$nrej" -gt 0 ] && no_rerun "$D" && ok "resume --max-failed-fraction 1 finishes; $nrej rejected, no job rerun" ||
    bad "tolerated failures: rejected $nrej"
else
  bad "resume with tolerance failed"; cat "$TMP/err"
fi

# ---- garbage output and timeouts: rejected with the reason ----
fresh garbage
if (cd "$D" && TOY_LABEL_MODE=garbage "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); then
  n=$(q "$D/toy.db" "select count(*) from structure where status='rejected' and status_reason like 'unreadable label output%'")
  [ "$n" -gt 0 ] && [ "$(q "$D/toy.db" "select count(*) from structure where status='labelled' and generation > 0")" = 0 ] &&
    ok "garbage label output: $n structures rejected with the reason" || bad "garbage: $n rejected"
else
  bad "garbage run failed"; cat "$TMP/err"
fi
fresh timeout
sed -i 's|    label = { command = { "./label.py" }, adapter = "extxyz", timeout = "60s"|    label = { command = { "./label.py" }, adapter = "extxyz", timeout = "1s"|' "$D/campaign.lua"
if (cd "$D" && TOY_LABEL_SLEEP=30 "$ENTRAIN" run campaign.lua --quiet --max-failed-fraction 1 >/dev/null 2>"$TMP/err"); then
  n=$(q "$D/toy.db" "select count(*) from structure where status='rejected' and status_reason like 'label job timed_out%'")
  [ "$n" -gt 0 ] && [ "$(q "$D/toy.db" "select count(*) from job where kind='label' and state='timed_out'")" = "$n" ] &&
    ok "label timeouts: $n structures rejected (timed_out), campaign finishes" || bad "timeouts: $n rejected"
else
  bad "timeout run failed"; cat "$TMP/err"
fi

# ---- the built-in mcmc explorer (no explore program), with a crash in its ingest ----
mcmc_campaign() {
  fresh "$1"
  sed -i 's|    explore = { command = { "./explore.py" }.*|    explore = { adapter = "mcmc" },|' "$D/campaign.lua"
}
mcmc_campaign mcmc_ref
if (cd "$D" && "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); then
  n=$(q "$D/toy.db" "select count(*) from structure where origin='explored'")
  [ "$n" -gt 0 ] && [ ! -e "$D/toy.db.jobs/explore_runs.log" ] &&
    ok "adapter mcmc: $n candidates explored in-process" || bad "mcmc: $n candidates"
  export_labelled "$D" "$TMP/mcmc_ref.xyz"
  mcmc_campaign mcmc_crash
  (cd "$D" && ENTRAIN_TEST_CRASH_AT=ingest ENTRAIN_TEST_CRASH_GEN=2 "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>&1)
  rc=$?
  "$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>&1 && export_labelled "$D" "$TMP/mcmc_crash.xyz"
  [ "$rc" -eq 137 ] && cmp -s "$TMP/mcmc_ref.xyz" "$TMP/mcmc_crash.xyz" && no_rerun "$D" &&
    ok "adapter mcmc: kill -9 after ingest and resume: same data set" || bad "mcmc crash/resume (rc $rc)"
else
  bad "mcmc run failed"; cat "$TMP/err"
fi

# ---- compress and train phases ----
# full_campaign NAME: the toy campaign plus a training job (train.py fits the LJ well depth)
# and the compress recipe with a threshold that drops redundant labelled structures
full_campaign() {
  fresh "$1"
  python3 - "$D/campaign.lua" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace('retries = 0 },', 'retries = 0 },\n    train = { command = { "./train.py" }, timeout = "60s" },', 1)
s = s.replace('recipe = { "novelty" }', 'recipe = { "novelty", "compress" }')
s = s.replace('novelty_threshold = 0.0,', 'novelty_threshold = 0.0, compress_threshold = 2.0, compress_max_fraction = 0.5,')
open(p, "w").write(s)
PY
}
full_campaign full_ref
if (cd "$D" && "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); then
  ndrop=$(q "$D/toy.db" "select count(*) from structure where status='dropped'")
  ndec=$(q "$D/toy.db" "select count(*) from decision where kind='drop' and reason like '%[data set: H % -> % nats, % -> % structures]'")
  [ "$ndrop" -gt 0 ] && [ "$ndrop" = "$ndec" ] &&
    ok "compress: $ndrop structures dropped, each decision with H before/after" || bad "compress: dropped $ndrop, decisions $ndec"
  ntrain=$(q "$D/toy.db" "select count(*) from job where kind='train' and state='succeeded'")
  nset=$(q "$D/toy.db" "select count(distinct generation) from train_set")
  last=$(q "$D/toy.db" "select workdir from job where kind='train' and generation=3")
  eps=$(py "import json; print(round(json.load(open('$last/model.json'))['epsilon'], 6))" 2>/dev/null)
  [ "$ntrain" = 3 ] && [ "$nset" = 3 ] && [ "$eps" = 0.0104 ] &&
    ok "train: one job per generation, training sets recorded, fitted epsilon $eps" ||
    bad "train: $ntrain jobs, $nset sets, epsilon '$eps'"
  [ "$(q "$D/toy.db" "select count(*) from train_set t join structure s on s.id = t.structure_id where t.generation = 3")" = \
    "$(q "$D/toy.db" "select count(*) from structure where status='labelled'")" ] &&
    ok "train: the last training set is the labelled data set" || bad "train set content"
  extra=$(q "$D/toy.db" "select extra from metric where generation=2")
  py "import json,sys; e=json.loads(sys.argv[1]); assert e['jobs']['train']['succeeded']==1 and e['jobs']['label']['n']>0 and 'dh_frame_spread' in e and 'novelty_new_data' in e" "$extra" &&
    ok "metrics: per-frame dH spread, novelty of new data, job statistics" || bad "metric extra: $extra"
  export_labelled "$D" "$TMP/full_ref.xyz"
  for p in compress train; do
    full_campaign "full_$p"
    (cd "$D" && ENTRAIN_TEST_CRASH_AT=$p ENTRAIN_TEST_CRASH_GEN=2 "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>&1); rc=$?
    "$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>&1 && export_labelled "$D" "$TMP/full_$p.xyz"
    [ "$rc" -eq 137 ] && cmp -s "$TMP/full_ref.xyz" "$TMP/full_$p.xyz" && no_rerun "$D" && integrity "$D/toy.db" &&
      [ "$(q "$D/toy.db" "select count(*) from job where kind='train'")" = 3 ] &&
      ok "kill -9 after $p (generation 2), resume: same data set, no job twice" || bad "crash at $p (rc $rc)"
  done
else
  bad "compress/train run failed"; cat "$TMP/err"
fi

# ---- a label program that disappears mid-campaign: clear error, resumable ----
fresh vanish
(cd "$D" && ENTRAIN_TEST_CRASH_AT=select ENTRAIN_TEST_CRASH_GEN=2 "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>&1)
mv "$D/label.py" "$D/label.py.away"
"$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>"$TMP/err"; rc=$?
if [ "$rc" -ne 0 ] && grep -qE "executable not found|not an executable file" "$TMP/err" && integrity "$D/toy.db"; then
  ok "missing label executable: resume exits $rc naming it, database intact"
else
  bad "missing executable: exit $rc"; cat "$TMP/err"
fi
mv "$D/label.py.away" "$D/label.py"
"$ENTRAIN" resume "$D/toy.db" --quiet >/dev/null 2>&1 && export_labelled "$D" "$TMP/vanish.xyz" &&
  cmp -s "$TMP/ref.xyz" "$TMP/vanish.xyz" && no_rerun "$D" &&
  ok "program back, resume: same data set as the reference" || bad "resume after the program came back"

# ---- failure tolerance and label checks from the campaign file ----
fresh tolerant
sed -i 's|  limits = { max_generations = 3, label_budget_per_generation = 3 },|  limits = { max_generations = 3, label_budget_per_generation = 3, max_failed_fraction = 1 },|' "$D/campaign.lua"
if (cd "$D" && TOY_LABEL_MODE=fail "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); then
  ok "limits.max_failed_fraction = 1: failing labels are tolerated"
else
  bad "limits.max_failed_fraction"; cat "$TMP/err"
fi
fresh maxforce
sed -i 's|  random_seed = 42,|  random_seed = 42,\n  validation = { max_force = 1e-9 },|' "$D/campaign.lua"
if (cd "$D" && "$ENTRAIN" run campaign.lua --quiet >/dev/null 2>"$TMP/err"); then
  n=$(q "$D/toy.db" "select count(*) from structure where status='rejected' and status_reason like 'force component % exceeds validation.max_force%'")
  [ "$n" -gt 0 ] && [ "$(q "$D/toy.db" "select count(*) from structure where status='labelled' and generation > 0")" = 0 ] &&
    ok "validation.max_force: $n labels rejected with the reason" || bad "max_force: $n rejected"
else
  bad "max_force run failed"; cat "$TMP/err"
fi

# ---- usage ----
"$ENTRAIN" run >/dev/null 2>&1; [ $? -eq 2 ] && ok "run without a file: exit 2" || bad "run usage"
"$ENTRAIN" resume "$TMP/nothing.db" >/dev/null 2>&1; [ $? -ne 0 ] && ok "resume of a missing database fails" || bad "resume missing"

echo "test_engine: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
