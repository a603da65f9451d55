package grader

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
)

// nameDurations gives each duration variable its value for this run: whole
// seconds drawn from its range, written as "4s".
func (g *run) nameDurations() {
	for i, v := range g.req.Exercise.Variables {
		if v.Kind != catalogue.KindDuration {
			continue
		}
		lo, hi, _ := v.DurationRange() // validated when the catalogue loaded
		r := rand.New(rand.NewPCG(g.res.Seed+uint64(i), 0xd1a7))
		secs := int64(lo/time.Second) + r.Int64N(int64((hi-lo)/time.Second)+1)
		g.values[v.Name] = fmt.Sprintf("%ds", secs)
	}
}
