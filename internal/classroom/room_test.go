package classroom_test

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/classroom"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// ev is a check of learner on exercise, min minutes into the day.
func ev(learner, exercise, status string, min int) classroom.Event {
	e := classroom.Event{Version: classroom.Version, Learner: learner, Exercise: exercise, Status: status,
		MaxScore: 8, Checks: 2, At: t0.Add(time.Duration(min) * time.Minute)}
	if status == "pass" {
		e.Score, e.ChecksPassed = 8, 2
	} else {
		e.Failed = []classroom.Failure{{Check: "every record is keyed", Status: status, Message: "3 of 40 records have no key"}}
	}
	return e
}

var exercises = []string{"kafka/create-topic", "kafka/keyed-producer", "kafka/consumer-group", "pulsar/subscriptions"}

func names(rows []classroom.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Learner)
	}
	return out
}

func TestStuckRule(t *testing.T) {
	r := classroom.NewRoom(exercises)
	r.Add(
		// ada: three fails in a row on keyed-producer, the last a minute ago.
		ev("ada", "kafka/keyed-producer", "fail", 1), ev("ada", "kafka/keyed-producer", "fail", 2),
		ev("ada", "kafka/keyed-producer", "error", 3), // the cluster's doing: neither counts nor breaks the run
		ev("ada", "kafka/keyed-producer", "fail", 4),
		// bob: two fails, then a pass: not stuck, however long ago.
		ev("bob", "kafka/keyed-producer", "fail", 1), ev("bob", "kafka/keyed-producer", "fail", 2), ev("bob", "kafka/keyed-producer", "pass", 3),
		// cy: one fail, 12 minutes before now: idle.
		ev("cy", "kafka/create-topic", "fail", 0),
		// dee: two fails on one exercise, one on the next: the run restarts.
		ev("dee", "kafka/create-topic", "fail", 1), ev("dee", "kafka/create-topic", "fail", 2),
		ev("dee", "kafka/keyed-producer", "fail", 4),
	)
	now := t0.Add(5 * time.Minute)
	rows := map[string]classroom.Row{}
	for _, row := range r.Rows(now, classroom.ByName, "") {
		rows[row.Learner] = row
	}
	if a := rows["ada"]; !a.Stuck || a.FailsInARow != 3 || a.StuckWhy != "3 fails in a row" {
		t.Errorf("ada: %+v", a)
	}
	if b := rows["bob"]; b.Stuck || !b.Done || b.FailsInARow != 0 {
		t.Errorf("bob: %+v", b)
	}
	if c := rows["cy"]; c.Stuck {
		t.Errorf("cy checked 5 minutes ago and is not stuck yet: %+v", c)
	}
	if d := rows["dee"]; d.Stuck || d.FailsInARow != 1 {
		t.Errorf("dee: %+v", d)
	}
	later := t0.Add(12 * time.Minute)
	if c, _ := r.Row("cy", later); !c.Stuck || c.StuckWhy != "idle 12m" {
		t.Errorf("cy, idle 12m on a failed exercise: %+v", c)
	}
	if b, _ := r.Row("bob", later.Add(time.Hour)); b.Stuck {
		t.Errorf("bob passed: idle is not stuck: %+v", b)
	}
	if a, _ := r.Row("ada", later.Add(2*time.Minute)); a.StuckWhy != "3 fails in a row, idle 10m" {
		t.Errorf("ada, both reasons: %q", a.StuckWhy)
	}
	// A pass ends being stuck; a later fail of the passed exercise does
	// not start it again.
	r.Add(ev("ada", "kafka/keyed-producer", "pass", 6), ev("ada", "kafka/keyed-producer", "fail", 7),
		ev("ada", "kafka/keyed-producer", "fail", 8), ev("ada", "kafka/keyed-producer", "fail", 9))
	if a, _ := r.Row("ada", t0.Add(30*time.Minute)); a.Stuck || !a.Done || a.Status != "fail" {
		t.Errorf("ada after a pass: %+v", a)
	}
}

func TestProgressAndTimeOnExercise(t *testing.T) {
	r := classroom.NewRoom(exercises)
	r.Add(
		ev("ada", "kafka/create-topic", "fail", 0), ev("ada", "kafka/create-topic", "pass", 10),
		ev("ada", "kafka/keyed-producer", "fail", 25), ev("ada", "kafka/keyed-producer", "pass", 40),
		ev("ada", "kafka/keyed-producer", "pass", 41), // passing again counts once
		ev("ada", "kafka/old-exercise", "pass", 50),   // not in this course: not counted
		ev("ada", "kafka/consumer-group", "fail", 55),
	)
	now := t0.Add(60 * time.Minute)
	a, ok := r.Row("ada", now)
	if !ok {
		t.Fatal("ada is not in the room")
	}
	if a.Passed != 2 || a.Total != 4 {
		t.Errorf("progress %d/%d, want 2/4", a.Passed, a.Total)
	}
	// consumer-group: from the check before its first (50), to its
	// latest check (55).
	if a.Exercise != "kafka/consumer-group" || a.OnExercise != 5*time.Minute || a.Idle != 5*time.Minute {
		t.Errorf("on %s for %s, idle %s", a.Exercise, a.OnExercise, a.Idle)
	}
	r.Add(ev("bob", "kafka/keyed-producer", "fail", 5), ev("bob", "kafka/keyed-producer", "pass", 30), ev("bob", "kafka/keyed-producer", "pass", 45))
	// keyed-producer: from bob's first check of it to its first pass.
	if b, _ := r.Row("bob", now); b.OnExercise != 25*time.Minute || b.Passed != 1 {
		t.Errorf("bob: on it %s, passed %d", b.OnExercise, b.Passed)
	}
	if r.Learners() != 2 || r.Events() != 10 {
		t.Errorf("%d learners, %d events", r.Learners(), r.Events())
	}
}

func TestSortAndFilter(t *testing.T) {
	r := classroom.NewRoom(exercises)
	r.Add(
		ev("carol", "kafka/create-topic", "pass", 1), ev("carol", "kafka/keyed-producer", "pass", 2), // 2 passed, last at 2
		ev("ada", "kafka/create-topic", "pass", 5),                                                                                         // 1 passed, last at 5
		ev("bob", "kafka/create-topic", "fail", 0), ev("bob", "kafka/create-topic", "fail", 1), ev("bob", "kafka/create-topic", "fail", 3), // stuck
		ev("Dave", "kafka/create-topic", "fail", 4), // not passed, not stuck
	)
	now := t0.Add(6 * time.Minute)
	for _, tc := range []struct {
		by     classroom.Sort
		filter string
		want   []string
	}{
		{classroom.ByName, "", []string{"Dave", "ada", "bob", "carol"}},
		{classroom.ByProgress, "", []string{"carol", "ada", "Dave", "bob"}},
		{classroom.ByActivity, "", []string{"ada", "Dave", "bob", "carol"}},
		{classroom.ByStuck, "", []string{"bob", "Dave", "ada", "carol"}},
		{classroom.ByName, "a", []string{"Dave", "ada", "carol"}},
		{classroom.ByName, "DAV", []string{"Dave"}},
		{classroom.ByProgress, "zz", nil},
	} {
		if got := names(r.Rows(now, tc.by, tc.filter)); !slices.Equal(got, tc.want) {
			t.Errorf("by %s, filter %q: %v, want %v", tc.by, tc.filter, got, tc.want)
		}
	}
	if classroom.ByStuck.Next() != classroom.ByName || classroom.ByName.Next() != classroom.ByProgress {
		t.Error("the sorts should go round")
	}
}

// Records anyone could write to the topic are cleaned before they reach
// a terminal, and a record that is not an event is refused.
func TestDecode(t *testing.T) {
	e, err := classroom.Decode([]byte("ada"), []byte(`{"version":1,"exercise":"kafka/x\u001b[2J","status":"fail","at":"2025-03-14T09:00:00Z","failed":[{"check":"c","status":"fail","message":"line one\nline two\u0007"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Learner != "ada" || e.Exercise != "kafka/x" || e.Failed[0].Message != "line one line two" {
		t.Errorf("%+v", e)
	}
	for _, bad := range []string{`not json`, `{"version":2,"learner":"a","exercise":"x","at":"2025-03-14T09:00:00Z"}`, `{"version":1,"learner":"a","at":"2025-03-14T09:00:00Z"}`, `{"version":1,"learner":"a","exercise":"x"}`} {
		if _, err := classroom.Decode(nil, []byte(bad)); err == nil {
			t.Errorf("%s was taken as an event", bad)
		}
	}
}

func exportRoom() classroom.Export {
	r := classroom.NewRoom(exercises)
	hostile := ev("=cmd", "kafka/keyed-producer", "fail", 2)
	hostile.Failed[0].Message = `-2+3, "quoted"`
	r.Add(ev("ada", "kafka/create-topic", "pass", 1), ev("bob", "kafka/create-topic", "fail", 0),
		ev("bob", "kafka/create-topic", "fail", 1), ev("bob", "kafka/create-topic", "fail", 2), hostile)
	return classroom.NewExport(r, "dbs", "external at kafka:9092", t0.Add(3*time.Minute))
}

// The CSV opens in a spreadsheet: a header row, quoting where needed,
// and no cell a spreadsheet would run as a formula.
func TestExportCSV(t *testing.T) {
	var b strings.Builder
	if err := exportRoom().Write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(recs) != 4 || recs[0][0] != "learner" || recs[0][len(recs[0])-1] != "message" {
		t.Fatalf("want a header and 3 rows:\n%s", b.String())
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	byName := map[string][]string{}
	for _, rec := range recs[1:] {
		if len(rec) != len(recs[0]) {
			t.Fatalf("row of %d cells under a header of %d: %v", len(rec), len(recs[0]), rec)
		}
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q would be a formula", cell)
			}
		}
		byName[rec[0]] = rec
	}
	if bob := byName["bob"]; bob[col("stuck")] != "true" || bob[col("fails_in_a_row")] != "3" || bob[col("passed")] != "0" || bob[col("total")] != "4" {
		t.Errorf("bob: %v", bob)
	}
	if ada := byName["ada"]; ada[col("status")] != "pass" || ada[col("passed")] != "1" || ada[col("last_check")] != "2025-03-14T09:01:00Z" || ada[col("idle_s")] != "120" {
		t.Errorf("ada: %v", ada)
	}
	h := byName["'=cmd"]
	if h == nil || h[col("failed_checks")] != `every record is keyed: -2+3, "quoted"` {
		t.Errorf("the learner named =cmd: %v", h)
	}
	if !strings.Contains(b.String(), `"every record is keyed: -2+3, ""quoted"""`) {
		t.Errorf("a cell with a comma and quotes is not quoted:\n%s", b.String())
	}
}

func TestExportJSON(t *testing.T) {
	var b strings.Builder
	if err := exportRoom().Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var x struct {
		Class     string
		Exercises int
		Learners  []map[string]any
	}
	if err := json.Unmarshal([]byte(b.String()), &x); err != nil {
		t.Fatal(err)
	}
	if x.Class != "dbs" || x.Exercises != 4 || len(x.Learners) != 3 {
		t.Fatalf("%+v", x)
	}
	// Names stay as they are in JSON: only the CSV is read by spreadsheets.
	if x.Learners[0]["learner"] != "=cmd" || x.Learners[2]["learner"] != "bob" || x.Learners[2]["stuck"] != true {
		t.Errorf("%v", x.Learners)
	}
	if err := exportRoom().Write(&b, "xml"); err == nil || !strings.Contains(err.Error(), "csv or json") {
		t.Errorf("an unknown format: %v", err)
	}
}
