// Package proxy stands between one learner program and a Kafka cluster,
// so that the grader can see the program's requests and act on the
// broker's answers: hold an answer back and close the connection (a lost
// acknowledgement), or kill the program at the exact moment a request of
// its own was accepted.
//
// It speaks the Kafka protocol rather than copying bytes, for two reasons.
// A byte-level proxy (toxiproxy and the like) can cut or slow a connection
// but cannot say which request it is cutting, so a fault timed by it is
// timed by luck. And a Kafka client connects to the addresses the cluster
// advertises, not to the one it was given: the proxy rewrites every broker
// address in the answers (Metadata, FindCoordinator, DescribeCluster,
// Produce's leader hints) to a listener of its own, so all of the
// program's traffic keeps flowing through it.
//
// The proxy forwards every request unchanged. It reads the few it needs
// (produce, offset commits, fetch) and decodes the answers to those, and
// re-encodes only the answers that carry broker addresses. A guarded
// proxy (guard.go) also reads every request that changes something, and
// answers itself those that would change what is not its program's;
// Admin does the same for a Pulsar cluster's admin API.
package proxy

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// Kind is what a request the proxy reports did.
type Kind int

const (
	// Produce wrote records (Records says how many, by topic).
	Produce Kind = iota
	// Commit committed a group's offsets (Group, Offsets). Transactional
	// says it was a TxnOffsetCommit: part of a transaction, so not yet
	// the group's committed offsets.
	Commit
	// Fetch asked for records from the given offsets. It is reported as
	// it is sent, since its answer says nothing the grader needs.
	Fetch
	// EndTxn ended a transaction: committed it, unless Abort.
	EndTxn
	// Join made the program a member of Group, as Member.
	Join
	// CommitSent is an offset commit (Group, Offsets) reported as the
	// program sends it, before the broker has it: a Withhold verdict
	// drops it and closes the connection, as a program that crashed
	// just then would leave it. Its answer is reported as a Commit.
	CommitSent
	// Refused is a request a guard answered itself (guard.go), reported
	// as it is refused: Denied is what it would have changed, Action the
	// request (a Kafka API's name, or an HTTP method and path).
	Refused
)

// Request is one of the program's requests, with what the broker accepted
// of it.
type Request struct {
	Kind Kind
	// Records are the records the broker accepted, by topic (Produce).
	Records map[string]int64
	// Group is the consumer group a commit is for.
	Group string
	// Offsets are the committed offsets the broker accepted (Commit), or
	// the offsets fetched from (Fetch), by topic and partition.
	Offsets map[string]map[int32]int64
	// Transactional is a produce or commit inside a transaction.
	Transactional bool
	// Abort says an EndTxn aborted its transaction.
	Abort bool
	// Member is the member id a Join was given.
	Member string
	// NoAcks is a produce request that asked for no answer (acks=0),
	// reported as it is sent: nothing says what the broker made of it.
	NoAcks bool
	// Denied and Action describe a Refused request.
	Denied []Resource
	Action string
}

// Verdict is what the proxy does with the broker's answer.
type Verdict int

const (
	// Deliver passes the answer on.
	Deliver Verdict = iota
	// Withhold drops the answer and closes the program's connection, so
	// the program never learns that the broker accepted its request.
	Withhold
)

// Hook is told of every Produce, Commit, EndTxn and Join once the broker has answered,
// before the program sees the answer, and of every Fetch, CommitSent and
// Refused as it is sent (the verdict on a Fetch or Refused is ignored). It runs on the connection's goroutine: while
// it runs, that connection's answers wait.
type Hook func(Request) Verdict

// Proxy is a set of listeners on the loopback interface: one that stands
// for the cluster's bootstrap servers, and one per broker the cluster has
// advertised so far.
type Proxy struct {
	upstream []string
	hook     Hook
	guard    Guard // nil: every request passes

	mu        sync.Mutex
	closed    bool
	bootstrap *listener
	brokers   map[string]*listener // by the broker's real host:port
	conns     map[net.Conn]struct{}
	topics    map[[16]byte]string // topic ids seen in metadata, for requests that name topics by id
	wg        sync.WaitGroup
}

type listener struct {
	net.Listener
	target string // "" for the bootstrap listener: try every upstream address
}

// Start listens on the loopback interface for a program that would
// connect to the cluster at upstream (host:port bootstrap addresses).
func Start(upstream []string, hook Hook) (*Proxy, error) {
	return StartGuarded(upstream, hook, nil)
}

// StartGuarded is Start with a guard: requests that would change what the
// guard does not call the program's own are refused (guard.go).
func StartGuarded(upstream []string, hook Hook, guard Guard) (*Proxy, error) {
	if len(upstream) == 0 {
		return nil, errors.New("proxy: no bootstrap address to stand in for")
	}
	if hook == nil {
		hook = func(Request) Verdict { return Deliver }
	}
	p := &Proxy{upstream: upstream, hook: hook, guard: guard, brokers: map[string]*listener{},
		conns: map[net.Conn]struct{}{}, topics: map[[16]byte]string{}}
	l, err := p.listen("")
	if err != nil {
		return nil, err
	}
	p.bootstrap = l
	return p, nil
}

// Addr is the bootstrap address to give the program.
func (p *Proxy) Addr() string { return p.bootstrap.Addr().String() }

// Close stops every listener and connection, and waits for their
// goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.bootstrap.Close()
	for _, l := range p.brokers {
		l.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// listen opens a listener standing for target and serves it. Called with
// p.mu held, or before the proxy is shared.
func (p *Proxy) listen(target string) (*listener, error) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	l := &listener{Listener: nl, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !p.track(c) {
				c.Close()
				return
			}
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.serve(c, l.target) }()
		}
	}()
	return l, nil
}

// stand returns the proxy's own address for a broker the cluster
// advertised at host:port, opening a listener for it the first time.
func (p *Proxy) stand(host string, port int32) (string, int32) {
	target := net.JoinHostPort(host, strconv.Itoa(int(port)))
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.brokers[target]
	if !ok && !p.closed {
		var err error
		if l, err = p.listen(target); err != nil {
			return host, port // the program goes straight to the broker: no worse than no proxy
		}
		p.brokers[target] = l
	}
	if l == nil {
		return host, port
	}
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), int32(a.Port)
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) learnTopic(id [16]byte, name string) {
	if id == ([16]byte{}) || name == "" {
		return
	}
	p.mu.Lock()
	p.topics[id] = name
	p.mu.Unlock()
}

// topicName names a topic a request gave by name or by id.
func (p *Proxy) topicName(name string, id [16]byte) string {
	if name != "" || id == ([16]byte{}) {
		return name
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.topics[id]; ok {
		return n
	}
	return fmt.Sprintf("topic-id-%x", id)
}

// dial connects to the broker a listener stands for; the bootstrap
// listener tries each bootstrap address in turn, as a client would.
func (p *Proxy) dial(target string) (net.Conn, error) {
	if target != "" {
		return net.Dial("tcp", target)
	}
	var err error
	for _, a := range p.upstream {
		var c net.Conn
		if c, err = net.Dial("tcp", a); err == nil {
			return c, nil
		}
	}
	return nil, err
}
