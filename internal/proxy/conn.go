package proxy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxFrame bounds one request or answer; Kafka's own default limit for a
// request is 100 MiB.
const maxFrame = 256 << 20

// Keys of the requests the proxy reads or rewrites.
const (
	keyProduce         = 0
	keyFetch           = 1
	keyMetadata        = 3
	keyOffsetCommit    = 8
	keyFindCoordinator = 10
	keyJoinGroup       = 11
	keyAPIVersions     = 18
	keyEndTxn          = 26
	keyTxnOffsetCommit = 28
	keyDescribeCluster = 60
)

// inflight is a request sent to the broker whose answer is awaited. A
// connection's answers come back in the order of its requests.
type inflight struct {
	corr    int32
	key     int16
	version int16
	req     kmsg.Request // decoded when the proxy needs what it asked
	// refusal is what a guard refused of the request: the proxy adds it
	// to the broker's answer to the rest.
	refusal *refusal
}

// order keeps a connection's answers in the order of its requests when
// the proxy answers some itself: it counts the broker's answers the
// program is still owed, so that the proxy's own answer goes after them.
type order struct {
	mu   sync.Mutex
	cond *sync.Cond
	owed int
	over bool
}

func newOrder() *order {
	o := &order{}
	o.cond = sync.NewCond(&o.mu)
	return o
}

func (o *order) add() {
	o.mu.Lock()
	o.owed++
	o.mu.Unlock()
}

func (o *order) done() {
	o.mu.Lock()
	o.owed--
	o.cond.Broadcast()
	o.mu.Unlock()
}

// end wakes a wait for good: the connection is over.
func (o *order) end() {
	o.mu.Lock()
	o.over = true
	o.cond.Broadcast()
	o.mu.Unlock()
}

// wait returns once every answer owed has been passed on; false when the
// connection ended first.
func (o *order) wait() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.owed > 0 && !o.over {
		o.cond.Wait()
	}
	return !o.over
}

// serve carries one program connection to the broker target stands for.
func (p *Proxy) serve(client net.Conn, target string) {
	defer p.untrack(client)
	defer client.Close()
	broker, err := p.dial(target)
	if err != nil {
		return // the program sees a closed connection, as it would from a broker that is down
	}
	if !p.track(broker) {
		broker.Close()
		return
	}
	defer p.untrack(broker)
	defer broker.Close()

	pending := make(chan inflight, 256)
	owed := newOrder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(pending)
		p.requests(client, broker, pending, owed)
	}()
	p.answers(broker, client, pending, owed)
	owed.end()
	// Either side ending ends both.
	client.Close()
	broker.Close()
	<-done
}

// requests forwards the program's requests, noting each one whose answer
// the proxy will read.
func (p *Proxy) requests(client, broker net.Conn, pending chan<- inflight, owed *order) {
	r := bufio.NewReaderSize(client, 64<<10)
	for {
		frame, err := readFrame(r)
		if err != nil {
			return
		}
		h, body, err := requestHeader(frame)
		if err != nil {
			return // not Kafka: nothing sensible to forward
		}
		in := inflight{corr: h.corr, key: h.key, version: h.version}
		answered := true
		if p.guard != nil && !reads[h.key] {
			var answer []byte
			var ok bool
			if frame, answer, ok = p.guarded(&in, frame, body); !ok {
				return // a request the guard cannot read, or answer: the connection closes
			}
			if answer != nil || frame == nil {
				if answer != nil && (!owed.wait() || writeFrame(client, answer) != nil) {
					return
				}
				continue
			}
		}
		switch h.key {
		case keyProduce, keyOffsetCommit, keyTxnOffsetCommit, keyFetch, keyEndTxn, keyJoinGroup:
			if in.req == nil {
				req := kmsg.RequestForKey(h.key)
				req.SetVersion(h.version)
				if req.ReadFrom(body) == nil {
					in.req = req
				}
			}
			if pr, ok := in.req.(*kmsg.ProduceRequest); ok && pr.Acks == 0 {
				answered = false // acks=0: the broker sends nothing back
				p.hook(Request{Kind: Produce, NoAcks: true})
			}
			if fr, ok := in.req.(*kmsg.FetchRequest); ok {
				p.hook(p.fetched(fr))
			}
			if cr, ok := in.req.(*kmsg.OffsetCommitRequest); ok && p.hook(p.commitSent(cr)) == Withhold {
				return // never reaches the broker; the program's connection closes
			}
		}
		if answered {
			owed.add()
			pending <- in
		}
		if err := writeFrame(broker, frame); err != nil {
			return
		}
	}
}

// guarded screens one request against the guard. It returns the frame to
// send the broker (nil: none), or the proxy's own answer to send the
// program instead; false when the request can be neither read nor
// answered, which closes the connection.
func (p *Proxy) guarded(in *inflight, frame, body []byte) ([]byte, []byte, bool) {
	req := kmsg.RequestForKey(in.key)
	if req == nil {
		return nil, nil, false
	}
	req.SetVersion(in.version)
	if req.ReadFrom(body) != nil {
		return nil, nil, false
	}
	in.req = req
	ref := p.screen(req)
	if ref == nil {
		return frame, nil, true
	}
	if len(ref.denied) > 0 {
		p.hook(Request{Kind: Refused, Denied: ref.denied, Action: kmsg.NameForKey(in.key)})
	}
	if !ref.whole {
		in.refusal = ref
		header := frame[:len(frame)-len(body)]
		return req.AppendTo(append([]byte(nil), header...)), nil, true
	}
	if pr, ok := req.(*kmsg.ProduceRequest); ok && pr.Acks == 0 {
		return nil, nil, true // nothing to answer
	}
	resp := req.ResponseKind()
	ref.fill(resp)
	if ref.unanswerable {
		return nil, nil, false
	}
	return nil, answerFrame(in.corr, resp), true
}

// answers forwards the broker's answers, rewriting addresses and asking
// the hook about produce and commit answers.
func (p *Proxy) answers(broker, client net.Conn, pending <-chan inflight, owed *order) {
	r := bufio.NewReaderSize(broker, 64<<10)
	for {
		frame, err := readFrame(r)
		if err != nil {
			return
		}
		in, ok := <-pending
		if !ok {
			return
		}
		if len(frame) < 4 || int32(binary.BigEndian.Uint32(frame)) != in.corr {
			return // answers out of order: the proxy cannot follow this connection
		}
		out, verdict := p.answer(in, frame)
		if verdict == Withhold {
			return
		}
		if err := writeFrame(client, out); err != nil {
			return
		}
		owed.done()
	}
}

// answer is what to send on for one answer frame, and whether to send it.
func (p *Proxy) answer(in inflight, frame []byte) ([]byte, Verdict) {
	resp := kmsg.ResponseForKey(in.key)
	if resp == nil {
		return frame, Deliver
	}
	resp.SetVersion(in.version)
	headerLen := 4
	if resp.IsFlexible() && in.key != keyAPIVersions { // ApiVersions answers keep the old header, always
		n, err := skipTags(frame[4:])
		if err != nil {
			return frame, Deliver
		}
		headerLen += n
	}
	header, body := frame[:headerLen], frame[headerLen:]

	rewrite := in.refusal != nil
	switch in.key {
	case keyMetadata, keyFindCoordinator, keyDescribeCluster, keyAPIVersions:
		rewrite = true
	case keyProduce, keyOffsetCommit, keyTxnOffsetCommit, keyEndTxn, keyJoinGroup:
		if in.req == nil {
			return frame, Deliver
		}
	default:
		if !rewrite {
			return frame, Deliver
		}
	}
	if err := resp.ReadFrom(body); err != nil {
		return frame, Deliver
	}
	if in.refusal != nil {
		in.refusal.fill(resp)
	}
	verdict := Deliver
	switch r := resp.(type) {
	case *kmsg.MetadataResponse:
		for i := range r.Brokers {
			b := &r.Brokers[i]
			b.Host, b.Port = p.stand(b.Host, b.Port)
		}
		for _, t := range r.Topics {
			if t.Topic != nil {
				p.learnTopic(t.TopicID, *t.Topic)
			}
		}
	case *kmsg.FindCoordinatorResponse:
		if r.Host != "" {
			r.Host, r.Port = p.stand(r.Host, r.Port)
		}
		for i := range r.Coordinators {
			c := &r.Coordinators[i]
			if c.Host != "" {
				c.Host, c.Port = p.stand(c.Host, c.Port)
			}
		}
	case *kmsg.DescribeClusterResponse:
		for i := range r.Brokers {
			b := &r.Brokers[i]
			b.Host, b.Port = p.stand(b.Host, b.Port)
		}
	case *kmsg.ApiVersionsResponse:
		capVersions(r, p.guard != nil)
	case *kmsg.ProduceResponse:
		for i := range r.Brokers {
			b := &r.Brokers[i]
			b.Host, b.Port = p.stand(b.Host, b.Port)
			rewrite = true
		}
		verdict = p.hook(p.produced(in.req.(*kmsg.ProduceRequest), r))
	case *kmsg.OffsetCommitResponse:
		verdict = p.hook(p.committed(in.req.(*kmsg.OffsetCommitRequest), r))
	case *kmsg.TxnOffsetCommitResponse:
		verdict = p.hook(p.txnCommitted(in.req.(*kmsg.TxnOffsetCommitRequest), r))
	case *kmsg.JoinGroupResponse:
		if r.ErrorCode == 0 && r.MemberID != "" {
			verdict = p.hook(Request{Kind: Join, Group: in.req.(*kmsg.JoinGroupRequest).Group, Member: r.MemberID})
		}
	case *kmsg.EndTxnResponse:
		if r.ErrorCode == 0 {
			verdict = p.hook(Request{Kind: EndTxn, Transactional: true, Abort: !in.req.(*kmsg.EndTxnRequest).Commit})
		}
	}
	if !rewrite {
		return frame, verdict
	}
	out := append([]byte(nil), header...)
	return resp.AppendTo(out), verdict
}

// capVersions keeps the versions the broker offers to those the proxy
// can read, so that every answer it must rewrite is one it understands.
// A client picks the highest version both sides support, so it simply
// speaks a little older protocol through the proxy. A guarded proxy also
// hides the requests it cannot read at all: it could not tell what they
// change.
func capVersions(r *kmsg.ApiVersionsResponse, guarded bool) {
	keys := r.ApiKeys[:0]
	for _, k := range r.ApiKeys {
		req := kmsg.RequestForKey(k.ApiKey)
		if req == nil && guarded {
			continue
		}
		if req != nil && k.MaxVersion > req.MaxVersion() {
			k.MaxVersion = req.MaxVersion()
		}
		keys = append(keys, k)
	}
	r.ApiKeys = keys
}

type header struct {
	key, version int16
	corr         int32
}

// requestHeader reads a request's header and returns the body after it.
func requestHeader(frame []byte) (header, []byte, error) {
	if len(frame) < 10 {
		return header{}, nil, errors.New("short request")
	}
	h := header{
		key:     int16(binary.BigEndian.Uint16(frame[0:])),
		version: int16(binary.BigEndian.Uint16(frame[2:])),
		corr:    int32(binary.BigEndian.Uint32(frame[4:])),
	}
	off := 10
	if n := int16(binary.BigEndian.Uint16(frame[8:])); n > 0 { // client id; -1 is null
		off += int(n)
	}
	if off > len(frame) {
		return h, nil, errors.New("short request header")
	}
	if req := kmsg.RequestForKey(h.key); req != nil {
		req.SetVersion(h.version)
		if req.IsFlexible() {
			n, err := skipTags(frame[off:])
			if err != nil {
				return h, nil, err
			}
			off += n
		}
	}
	return h, frame[off:], nil
}

// skipTags returns the length of the tagged-field section at b's start.
func skipTags(b []byte) (int, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, errors.New("bad tagged fields")
	}
	off := n
	for range count {
		_, n := binary.Uvarint(b[off:])
		if n <= 0 {
			return 0, errors.New("bad tag")
		}
		off += n
		size, n := binary.Uvarint(b[off:])
		if n <= 0 || uint64(len(b)-off-n) < size {
			return 0, errors.New("bad tag size")
		}
		off += n + int(size)
	}
	return off, nil
}

func readFrame(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > maxFrame {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	frame := make([]byte, n)
	_, err := io.ReadFull(r, frame)
	return frame, err
}

func writeFrame(w io.Writer, frame []byte) error {
	buf := make([]byte, 4, 4+len(frame))
	binary.BigEndian.PutUint32(buf, uint32(len(frame)))
	_, err := w.Write(append(buf, frame...))
	return err
}
