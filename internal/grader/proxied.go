package grader

import (
	"github.com/streamlab/streamlab/containers"

	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/proxy"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Faults timed by a moment in the program's conversation with the broker
// (a produce or commit trigger) need the program to talk through a proxy;
// so does lose: acks, which withholds the broker's answers. Each instance
// gets a proxy of its own, kept across its restarts, so that a trigger
// counts one instance's work and a kill lands on the instance that did it.

// needsProxy reports whether any fault of the spec acts through a proxy.
func needsProxy(faults []catalogue.Fault) bool {
	for _, f := range faults {
		if f.When.Proxied() || f.Lose != "" {
			return true
		}
	}
	return false
}

// watchesRequests reports whether a check of the spec judges the
// program's own requests, which only the proxy sees.
func watchesRequests(cs []checks.Spec) bool {
	for _, c := range cs {
		if w, ok := c.Check.(checks.RequestWatcher); ok && w.WatchesRequests() {
			return true
		}
	}
	return false
}

// wantsProxy reports whether a run is better with proxies although no
// fault needs one: a program killed while in a consumer group can then
// be taken out of the group at once (release).
func wantsProxy(faults []catalogue.Fault) bool {
	for _, f := range faults {
		if f.Kill == "program" {
			return true
		}
	}
	return false
}

// errProxyTLS is why a proxied fault cannot run on a cluster that wants
// TLS: the proxy reads the program's requests, and cannot read them
// encrypted.
var errProxyTLS = errors.New("this exercise watches your program's Kafka requests through a plaintext proxy, and this cluster is reached over TLS: check it on a cluster streamlab starts (--cluster local, docker or embedded)")

// seen is what one instance's proxy has seen accepted, across its runs.
type seen struct {
	produced  map[string]int64           // records written, by topic
	committed map[string]map[int32]int64 // group/topic → partition → offset
	txns      int64                      // transactions committed
	members   map[string]string          // group → the member id it last joined as
	noAcks    bool                       // it sent a produce request with acks=0
	fetched   map[string]map[int32]bool  // partitions it has fetched, by topic
}

// startProxies starts a proxy per instance; on failure none is left.
// must is a run whose faults cannot happen without them.
func (f *fleet) startProxies(must bool) error {
	ep := f.g.cluster(containers.Kafka).Endpoints()
	if ep.Auth != nil && ep.Auth.TLS {
		if must {
			return errProxyTLS
		}
		return nil
	}
	f.proxies = make([]*proxy.Proxy, len(f.procs))
	f.seen = make([]seen, len(f.procs))
	f.first = map[string]map[int32]int64{}
	for i := range f.proxies {
		f.seen[i] = seen{produced: map[string]int64{}, committed: map[string]map[int32]int64{}, members: map[string]string{}, fetched: map[string]map[int32]bool{}}
		p, err := proxy.StartGuarded(ep.KafkaBootstrap, f.hook(i), f.guard())
		if err != nil {
			f.closeProxies()
			return err
		}
		f.proxies[i] = p
	}
	f.g.env.Requests = f
	return nil
}

func (f *fleet) closeProxies() {
	for _, p := range f.proxies {
		if p != nil {
			p.Close()
		}
	}
}

// instanceEnv points instance i at its proxy, when it has one, and at
// the admin proxy, when the run has one.
func (f *fleet) instanceEnv(env []string, i int) []string {
	if f.proxies == nil && f.admin == nil {
		return env
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		switch {
		case f.proxies != nil && strings.HasPrefix(kv, "KAFKA_BOOTSTRAP_SERVERS="):
			kv = "KAFKA_BOOTSTRAP_SERVERS=" + f.proxies[i].Addr()
		case f.admin != nil && strings.HasPrefix(kv, "PULSAR_ADMIN_URL="):
			kv = "PULSAR_ADMIN_URL=" + f.admin.URL()
		}
		out = append(out, kv)
	}
	return out
}

// hook is instance i's proxy hook: it counts what the broker accepted and
// fires the faults whose moment it is.
func (f *fleet) hook(i int) proxy.Hook {
	return func(r proxy.Request) proxy.Verdict {
		if r.Kind == proxy.Refused {
			f.refuse(r)
			return proxy.Deliver
		}
		f.mu.Lock()
		s := &f.seen[i]
		if r.Kind == proxy.Fetch {
			f.firstFetches(s, r.Offsets)
			f.mu.Unlock()
			return proxy.Deliver
		}
		if r.Kind == proxy.CommitSent {
			verdict := f.commitSent(i, r) // not yet accepted: nothing to count
			f.mu.Unlock()
			return verdict
		}
		if r.Kind == proxy.Join || r.NoAcks {
			if r.NoAcks {
				s.noAcks = true
			} else {
				s.members[r.Group] = r.Member
			}
			f.mu.Unlock()
			return proxy.Deliver
		}
		if r.Kind == proxy.EndTxn && !r.Abort {
			s.txns++
		}
		for topic, n := range r.Records {
			s.produced[topic] += n
		}
		for topic, parts := range r.Offsets {
			k := r.Group + "/" + topic
			if s.committed[k] == nil {
				s.committed[k] = map[int32]int64{}
			}
			for p, o := range parts {
				s.committed[k][p] = o
			}
		}
		type kill struct {
			fault int
			saw   string
		}
		var kills []kill
		verdict := proxy.Deliver
		var reports []string
		for j, fault := range f.g.req.Exercise.Faults {
			if fault.Instance != i {
				continue
			}
			saw, now := f.moment(i, fault.When, r)
			if !now {
				continue
			}
			switch {
			case fault.Lose != "":
				fr := f.fired[j]
				if fr == nil {
					fr = &firing{fault: fault, at: time.Since(f.began), saw: saw}
					f.fired[j] = fr
				}
				if fr.answers < fault.Times && r.Kind == proxy.Produce {
					fr.answers++
					fr.records += r.Records[f.g.values[fault.When.Produce.Topic]]
					verdict = proxy.Withhold
					if fr.answers == fault.Times {
						reports = append(reports, fr.report())
					}
				}
			case f.fired[j] == nil:
				kills = append(kills, kill{j, saw})
			}
		}
		f.mu.Unlock()
		for _, rep := range reports {
			f.g.emit(Event{Fault: rep})
		}
		for _, k := range kills {
			// A killed program must not read the answer; a restarted
			// broker's answer is the program's to read.
			if fault := f.g.req.Exercise.Faults[k.fault]; f.fire(k.fault, fault, k.saw) && fault.Kill == "program" {
				verdict = proxy.Withhold
			}
		}
		return verdict
	}
}

// firstFetches keeps, for each partition an instance fetches for the
// first time, the offset it fetched from, and the lowest of those over
// the instances. Called with f.mu held.
func (f *fleet) firstFetches(s *seen, offsets map[string]map[int32]int64) {
	for topic, parts := range offsets {
		if s.fetched[topic] == nil {
			s.fetched[topic] = map[int32]bool{}
		}
		if f.first[topic] == nil {
			f.first[topic] = map[int32]int64{}
		}
		for p, o := range parts {
			if s.fetched[topic][p] {
				continue
			}
			s.fetched[topic][p] = true
			if old, ok := f.first[topic][p]; !ok || o < old {
				f.first[topic][p] = o
			}
		}
	}
}

// FirstFetches is checks.Requests: where each partition of topic was
// first fetched from.
func (f *fleet) FirstFetches(topic string) map[int32]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.first[topic])
}

// release tells the group coordinator that the members instance i had
// joined as have left. A SIGKILLed member cannot say so itself, and its
// group would wait for its session to time out (45 s by default in
// Kafka 4) before handing its partitions to anyone, the restarted
// instance included: what a failure detector does in production, sooner.
// It returns the groups it released, for the fault's report.
func (f *fleet) release(ctx context.Context, i int) []string {
	if f.seen == nil {
		return nil
	}
	f.mu.Lock()
	members := f.seen[i].members
	f.seen[i].members = map[string]string{}
	f.mu.Unlock()
	var groups []string
	for group, member := range members {
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Group = group
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID = member
		reason := "killed by the streamlab grader"
		m.Reason = &reason
		req.Members = append(req.Members, m)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := req.RequestWith(ctx, f.g.env.Kafka)
		cancel()
		// A member already gone (its session ended, or a rebalance dropped
		// it) is as good as released.
		if err == nil && resp.ErrorCode == 0 {
			groups = append(groups, f.varOf(group))
		}
	}
	slices.Sort(groups)
	return groups
}

// varOf names a resource by the variable it is the value of, as the
// exercise does.
func (f *fleet) varOf(value string) string {
	for name, v := range f.g.values {
		if v == value {
			return name
		}
	}
	return value
}

// moment reports whether request r, just accepted, is the moment trigger
// t names (or, for a lose fault, any moment after it), with what the
// proxy saw. Called with f.mu held, after r is counted.
func (f *fleet) moment(i int, t catalogue.Trigger, r proxy.Request) (string, bool) {
	s := &f.seen[i]
	switch {
	case t.Produce != nil:
		topic := f.g.values[t.Produce.Topic]
		if r.Kind != proxy.Produce || r.Records[topic] == 0 {
			return "", false
		}
		n := s.produced[topic]
		return fmt.Sprintf("the broker had accepted %d records from it on %s (at least %d)", n, t.Produce.Topic, t.Produce.AtLeast), n >= t.Produce.AtLeast
	case t.Commit != nil && t.Commit.BeforeStored():
		return "", false // commitSent's moment
	case t.Commit != nil:
		group, topic := f.g.values[t.Commit.Group], f.g.values[t.Commit.Topic]
		if r.Kind != proxy.Commit || r.Group != group || len(r.Offsets[topic]) == 0 {
			return "", false
		}
		var n int64
		for _, o := range s.committed[group+"/"+topic] {
			n += o
		}
		what := "commit"
		if r.Transactional {
			what = "commit inside a transaction"
		}
		return fmt.Sprintf("the broker accepted its %s of offsets summing to %d on %s (at least %d)", what, n, t.Commit.Topic, t.Commit.AtLeast), n >= t.Commit.AtLeast
	case t.EndTransaction != nil:
		if r.Kind != proxy.EndTxn || r.Abort {
			return "", false
		}
		return fmt.Sprintf("the broker had committed %d of its transactions (at least %d)", s.txns, t.EndTransaction.AtLeast), s.txns >= t.EndTransaction.AtLeast
	}
	return "", false
}

// commitSent fires the kill faults timed by a commit instance i is
// sending, before the broker has it; a kill drops the commit. Called
// with f.mu held, which it releases and takes again around the kill.
func (f *fleet) commitSent(i int, r proxy.Request) proxy.Verdict {
	for j, fault := range f.g.req.Exercise.Faults {
		t := fault.When.Commit
		if fault.Instance != i || fault.Kill != "program" || t == nil || !t.BeforeStored() || f.fired[j] != nil {
			continue
		}
		group, topic := f.g.values[t.Group], f.g.values[t.Topic]
		if r.Group != group || len(r.Offsets[topic]) == 0 {
			continue
		}
		would := maps.Clone(f.seen[i].committed[group+"/"+topic])
		if would == nil {
			would = map[int32]int64{}
		}
		maps.Copy(would, r.Offsets[topic])
		var n int64
		for _, o := range would {
			n += o
		}
		if n < t.AtLeast {
			continue
		}
		saw := fmt.Sprintf("it was sending a commit that would bring its offsets on %s to %d (at least %d); the commit never reached the broker", t.Topic, n, t.AtLeast)
		f.mu.Unlock()
		fired := f.fire(j, fault, saw)
		f.mu.Lock()
		if fired {
			return proxy.Withhold
		}
	}
	return proxy.Deliver
}
