package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Programs for the ml-in-production lab: Python that gets it right, and
// the windows and scores a model in production gets wrong without a
// single error.
func init() {
	const (
		features = "each order's orders_10m and sum_10m count its customer's last 10 minutes by event time"
		keyed    = "every feature record is keyed by its customer_id"
		scored   = "every order has one prediction with the model's score and version"
		inOrder  = "each customer's predictions are keyed by it and in the order of its orders"
	)
	f, s := "ml/features", "ml/score"
	submissions = append(submissions,
		submission{exercise: f, name: "python confluent-kafka", run: "$PY python/ml_features.py", want: result.Pass, python: true},
		submission{exercise: f, name: "a window by the clock", run: "MISTAKE=clock go run ./mlmistakes", want: result.Fail,
			failing: []string{features}},
		submission{exercise: f, name: "a window by the record's timestamp", run: "MISTAKE=record-time go run ./mlmistakes", want: result.Fail,
			failing: []string{features}},
		submission{exercise: f, name: "the order itself left out", run: "MISTAKE=leaves-out-order go run ./mlmistakes", want: result.Fail,
			failing: []string{features}},
		submission{exercise: f, name: "one window for all customers", run: "MISTAKE=all-customers go run ./mlmistakes", want: result.Fail,
			failing: []string{features}},
		submission{exercise: f, name: "ten seconds instead of ten minutes", run: "MISTAKE=ten-seconds go run ./mlmistakes", want: result.Fail,
			failing: []string{features}},
		submission{exercise: f, name: "records without a key", run: "MISTAKE=no-key go run ./mlmistakes", want: result.Fail,
			failing: []string{keyed}},

		submission{exercise: s, name: "python confluent-kafka", run: "$PY python/ml_score.py", want: result.Pass, python: true},
		submission{exercise: s, name: "features not scaled", run: "MISTAKE=no-scaling go run ./mlmistakes", want: result.Fail,
			failing: []string{scored}},
		submission{exercise: s, name: "bias left out", run: "MISTAKE=no-bias go run ./mlmistakes", want: result.Fail,
			failing: []string{scored}},
		submission{exercise: s, name: "weights taken in the task's order of features", run: "MISTAKE=by-position go run ./mlmistakes", want: result.Fail,
			failing: []string{scored}},
		submission{exercise: s, name: "features from a window by the clock", run: "MISTAKE=clock go run ./mlmistakes", want: result.Fail,
			failing: []string{scored}},
		submission{exercise: s, name: "features from a window without the order", run: "MISTAKE=leaves-out-order go run ./mlmistakes", want: result.Fail,
			failing: []string{scored}},
		submission{exercise: s, name: "scored on 8 goroutines", run: "MISTAKE=goroutines go run ./mlmistakes", want: result.Fail,
			failing: []string{inOrder}},
		submission{exercise: s, name: "predictions without a key", run: "MISTAKE=no-key go run ./mlmistakes", want: result.Fail,
			failing: []string{inOrder}},
	)
}
