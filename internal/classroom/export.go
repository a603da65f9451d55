package classroom

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Formats are the room's export formats.
var Formats = []string{"csv", "json"}

// Export is the room's state at a moment, for the end of the day.
type Export struct {
	Class    string      `json:"class"`
	Cluster  string      `json:"cluster"`
	At       time.Time   `json:"at"`
	Total    int         `json:"exercises"` // in the course
	Learners []ExportRow `json:"learners"`
}

// ExportRow is a Row with its times in plain units.
type ExportRow struct {
	Learner        string    `json:"learner"`
	Exercise       string    `json:"exercise"`
	Status         string    `json:"status"`
	Score          int       `json:"score"`
	MaxScore       int       `json:"max_score"`
	ChecksPassed   int       `json:"checks_passed"`
	Checks         int       `json:"checks"`
	HintsUsed      int       `json:"hints_used"`
	Attempts       int       `json:"attempts"`
	GaveUp         bool      `json:"gave_up"`
	OnExerciseSecs int64     `json:"on_exercise_s"`
	LastCheck      time.Time `json:"last_check"`
	IdleSecs       int64     `json:"idle_s"`
	FailsInARow    int       `json:"fails_in_a_row"`
	Stuck          bool      `json:"stuck"`
	StuckWhy       string    `json:"stuck_why,omitempty"`
	Passed         int       `json:"passed"`
	Total          int       `json:"total"`
	Failed         []Failure `json:"failed_checks,omitempty"`
	Message        string    `json:"message,omitempty"`
}

// NewExport is the room at now, learners by name.
func NewExport(r *Room, class, cluster string, now time.Time) Export {
	x := Export{Class: class, Cluster: cluster, At: now.UTC(), Total: r.Total(), Learners: []ExportRow{}}
	for _, row := range r.Rows(now, ByName, "") {
		x.Learners = append(x.Learners, ExportRow{
			Learner: row.Learner, Exercise: row.Exercise, Status: row.Status,
			Score: row.Score, MaxScore: row.MaxScore, ChecksPassed: row.ChecksPassed, Checks: row.Checks,
			HintsUsed: row.HintsUsed, Attempts: row.Attempt, GaveUp: row.GaveUp,
			OnExerciseSecs: int64(row.OnExercise.Seconds()), LastCheck: row.Last.UTC(), IdleSecs: int64(row.Idle.Seconds()),
			FailsInARow: row.FailsInARow, Stuck: row.Stuck, StuckWhy: row.StuckWhy,
			Passed: row.Passed, Total: row.Total, Failed: row.Failed, Message: row.Message,
		})
	}
	return x
}

// Write writes the export in format: csv or json.
func (x Export) Write(w io.Writer, format string) error {
	switch format {
	case "csv":
		return x.WriteCSV(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(x)
	}
	return fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, " or "))
}

// csvHeader names the CSV's columns.
var csvHeader = []string{
	"learner", "exercise", "status", "score", "max_score", "checks_passed", "checks",
	"hints_used", "attempts", "gave_up", "on_exercise_s", "last_check", "idle_s",
	"fails_in_a_row", "stuck", "stuck_why", "passed", "total", "failed_checks", "message",
}

// WriteCSV writes one row per learner under a header row, for a
// spreadsheet. Text that a spreadsheet would take for a formula is
// neutralised: learner names and messages come from the topic, which
// anyone in the class can write to.
func (x Export) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	itoa := strconv.Itoa
	for _, l := range x.Learners {
		failed := make([]string, len(l.Failed))
		for i, f := range l.Failed {
			failed[i] = f.Check
			if f.Message != "" {
				failed[i] += ": " + f.Message
			}
		}
		rec := []string{
			l.Learner, l.Exercise, l.Status, itoa(l.Score), itoa(l.MaxScore), itoa(l.ChecksPassed), itoa(l.Checks),
			itoa(l.HintsUsed), itoa(l.Attempts), strconv.FormatBool(l.GaveUp), strconv.FormatInt(l.OnExerciseSecs, 10),
			l.LastCheck.Format(time.RFC3339), strconv.FormatInt(l.IdleSecs, 10),
			itoa(l.FailsInARow), strconv.FormatBool(l.Stuck), l.StuckWhy, itoa(l.Passed), itoa(l.Total),
			strings.Join(failed, "; "), l.Message,
		}
		for i, cell := range rec {
			rec[i] = Neutralise(cell)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Neutralise keeps a spreadsheet from reading a cell as a formula: a cell
// that starts with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before looking) gets a leading apostrophe.
func Neutralise(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
