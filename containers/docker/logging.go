package docker

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// lineLogger is a testcontainers-go logger that writes timestamped lines to
// w, or nowhere when w is nil. It is safe for concurrent use.
type lineLogger struct {
	mu sync.Mutex
	w  io.Writer
}

var _ tclog.Logger = (*lineLogger)(nil)

func (l *lineLogger) Printf(format string, v ...any) {
	l.write("testcontainers: " + fmt.Sprintf(format, v...))
}

func (l *lineLogger) write(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return
	}
	s = strings.TrimRight(s, "\n")
	fmt.Fprintf(l.w, "%s %s\n", time.Now().Format("15:04:05.000"), s)
}

// globalLog is where testcontainers-go's process-wide logger goes. Parts of
// it (the engine banner, some wait strategies) ignore the per-request
// logger, and under "go test -v" its default writes to stderr.
var (
	globalLog     = &lineLogger{}
	globalLogOnce sync.Once
)

// ryukOnce guards the one decision about Ryuk per process: testcontainers-go
// reads its configuration once, on first use.
var ryukOnce sync.Once

// prepare readies testcontainers-go for a start on eng and returns the
// logger for this provider's requests. It must run before the first call
// into testcontainers-go.
func (p *Provider) prepare(eng engine) *lineLogger {
	globalLogOnce.Do(func() { tclog.SetDefault(globalLog) })
	globalLog.mu.Lock()
	globalLog.w = p.opts.Log
	globalLog.mu.Unlock()

	ryukOnce.Do(func() {
		if disableRyuk(os.LookupEnv, p.opts.Ryuk) {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
	})
	// testcontainers-go v0.40 does not read the docker CLI's contexts (Colima
	// and others register one); DOCKER_HOST is how to point it there, as a
	// learner would by hand.
	if strings.HasPrefix(eng.From, fromCLIContext) && os.Getenv("DOCKER_HOST") == "" {
		os.Setenv("DOCKER_HOST", eng.Host)
	}
	return &lineLogger{w: p.opts.Log}
}

// disableRyuk says whether to turn Ryuk off: yes, unless the options ask
// for it or the user's environment already decides.
func disableRyuk(lookupEnv func(string) (string, bool), want bool) bool {
	_, set := lookupEnv("TESTCONTAINERS_RYUK_DISABLED")
	return !set && !want
}

// containerLog copies a container's output, line by line, to w.
type containerLog struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

var _ testcontainers.LogConsumer = (*containerLog)(nil)

func (c *containerLog) Accept(l testcontainers.Log) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, line := range bytes.Split(bytes.TrimRight(l.Content, "\n"), []byte("\n")) {
		fmt.Fprintf(c.w, "[%s] %s\n", c.prefix, line)
	}
}
