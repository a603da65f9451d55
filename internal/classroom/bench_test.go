package classroom_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/result"
)

// From a session telling of a check to the instructor's room holding it,
// on a real Kafka: the hook queues the event, the publisher sends it, the
// reader (already following the topic) fetches it, and the room takes
// it. One op is one check; ns/op is the delay. The first check of a
// publisher, which also connects and makes sure of the topic, is left
// out (the end-to-end test in tui/class logs it).
func BenchmarkCheckToRoom(b *testing.B) {
	p := local.New(local.Options{})
	if err := p.Check(containers.Kafka); err != nil {
		b.Skipf("local Kafka not available: %v", err)
	}
	ctx := context.Background()
	cl, err := p.Start(ctx, containers.Kafka, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Stop(ctx)
	place := classroom.PlaceAt("local", cl.Endpoints())
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano()%1_000_000_000)
	r, err := classroom.OpenReader(ctx, place, name)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var opts course.Options
	pub, err := classroom.Attach(&opts, classroom.PublisherOptions{Class: name, Place: &place})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close(ctx)
	room := classroom.NewRoom([]string{"kafka/keyed-producer"})
	ex := &catalogue.Exercise{ID: "kafka/keyed-producer"}
	check := func(i int) {
		now := time.Now()
		opts.OnCheck(course.Checked{Learner: fmt.Sprintf("learner-%d", i%30), Exercise: ex,
			Result: result.Result{Status: result.Fail, Score: 3, MaxScore: 8}, Progress: progress.Exercise{Attempts: i + 1},
			Started: now, Ended: now})
		for want := room.Events() + 1; room.Events() < want; {
			batch, err := r.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			room.Add(batch.Events...)
		}
	}
	check(0)
	b.ResetTimer()
	for i := range b.N {
		check(i + 1)
	}
}
