package exercise

import "regexp"

// libraryLog matches the lines client libraries log on their own, which
// drown a learner's few lines: structured logs (JSON with a level,
// logfmt with level= or time=, as logrus in pulsar-client-go and slog
// write them), franz-go's "[kgo]" and "[INFO]" lines, librdkafka's
// "%3|…|FAC|" lines, Python's logging and the Pulsar C++ client's lines.
var libraryLog = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^\s*\{.*"(level|lvl|severity)"\s*:`),
	regexp.MustCompile(`(?i)(^|\s)(level|lvl)=\S`),
	regexp.MustCompile(`^time=`),
	regexp.MustCompile(`\[kgo\]`),
	regexp.MustCompile(`^\[(DEBUG|INFO|WARN|WARNING|ERROR)\] `),
	regexp.MustCompile(`^%\d\|\d+\.\d+\|`),
	regexp.MustCompile(`^(DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.]+:`),
	regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ (DEBUG|INFO|WARN|ERROR)\s+\[`),
}

// LibraryLog reports whether a line of a program's output looks like a
// client library's log rather than something the learner printed.
func LibraryLog(line string) bool {
	for _, re := range libraryLog {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}
