package proxy

import (
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A Kafka without ACLs lets any client delete any topic. On a cluster
// shared by many programs at once (a class graded together, a workshop's
// learners) one program could then break another's grade. A guarded
// proxy keeps its program to what is its own: a request that would
// change a topic, group or transactional id the guard does not call the
// program's own, or the cluster as a whole, never reaches the broker. The
// proxy answers it itself with the authorization error a broker with ACLs
// would give (TOPIC_AUTHORIZATION_FAILED and the like), encoded in the
// request's version, so that every client reports it as the refusal it
// is. The parts of a request that are the program's own still go to the
// broker, and the two answers are merged. Requests that only read pass.

// ResourceType is the kind of thing a request would change.
type ResourceType string

const (
	Topic           ResourceType = "topic"
	Group           ResourceType = "group"
	TransactionalID ResourceType = "transactional id"
	// Namespace and Tenant are Pulsar's (Admin).
	Namespace ResourceType = "namespace"
	Tenant    ResourceType = "tenant"
	// Cluster is the cluster as a whole (broker configs, quotas, ACLs,
	// users, partition moves): never a program's own.
	Cluster ResourceType = "cluster"
)

// Resource is something a request would change.
type Resource struct {
	Type ResourceType
	Name string
}

func (r Resource) String() string {
	if r.Type == Cluster {
		return "the cluster"
	}
	return fmt.Sprintf("%s %s", r.Type, r.Name)
}

// Guard reports whether the program may change r: true for what is its
// own. It is never asked about the Cluster, which no program owns.
type Guard func(r Resource) bool

// reads are the requests that change nothing another program relies on:
// they pass a guard unread.
var reads = map[int16]bool{}

func init() {
	for _, r := range []kmsg.Request{
		&kmsg.FetchRequest{}, &kmsg.ListOffsetsRequest{}, &kmsg.OffsetFetchRequest{},
		&kmsg.FindCoordinatorRequest{}, &kmsg.DescribeGroupsRequest{}, &kmsg.ListGroupsRequest{},
		&kmsg.SASLHandshakeRequest{}, &kmsg.ApiVersionsRequest{}, &kmsg.OffsetForLeaderEpochRequest{},
		&kmsg.DescribeACLsRequest{}, &kmsg.DescribeConfigsRequest{}, &kmsg.DescribeLogDirsRequest{},
		&kmsg.SASLAuthenticateRequest{}, &kmsg.DescribeDelegationTokenRequest{},
		&kmsg.ListPartitionReassignmentsRequest{}, &kmsg.DescribeClientQuotasRequest{},
		&kmsg.DescribeUserSCRAMCredentialsRequest{}, &kmsg.DescribeQuorumRequest{},
		&kmsg.DescribeClusterRequest{}, &kmsg.DescribeProducersRequest{},
		&kmsg.DescribeTransactionsRequest{}, &kmsg.ListTransactionsRequest{},
		&kmsg.ConsumerGroupDescribeRequest{}, &kmsg.GetTelemetrySubscriptionsRequest{},
		&kmsg.PushTelemetryRequest{}, &kmsg.ListConfigResourcesRequest{},
		&kmsg.DescribeTopicPartitionsRequest{}, &kmsg.ShareGroupDescribeRequest{},
		&kmsg.StreamsGroupDescribeRequest{}, &kmsg.DescribeShareGroupOffsetsRequest{},
	} {
		reads[r.Key()] = true
	}
}

// Error codes of the refusals (kerr's codes).
var (
	errTopic   = kerr.TopicAuthorizationFailed.Code
	errGroup   = kerr.GroupAuthorizationFailed.Code
	errCluster = kerr.ClusterAuthorizationFailed.Code
	errTxn     = kerr.TransactionalIDAuthorizationFailed.Code
)

// refusal is what a guard took out of one request.
type refusal struct {
	denied []Resource
	// whole: nothing is left to send to the broker; the proxy answers.
	whole bool
	// fill writes the refused parts into an answer: the broker's answer
	// to the rest of the request, or an empty one when whole.
	fill func(kmsg.Response)
	// unanswerable: a whole refusal of a request whose answer cannot say
	// so; the connection is closed instead.
	unanswerable bool
}

// screener applies a guard to requests.
type screener struct {
	p     *Proxy
	guard Guard
	// denied collects what the request being screened would change and
	// may not.
	denied []Resource
}

// mine asks the guard about one resource, noting it when refused.
func (s *screener) mine(t ResourceType, name string) bool {
	r := Resource{t, name}
	if t != Cluster && s.guard(r) {
		return true
	}
	for _, d := range s.denied {
		if d == r {
			return false
		}
	}
	s.denied = append(s.denied, r)
	return false
}

func (s *screener) topic(name string, id [16]byte) bool {
	return s.mine(Topic, s.p.topicName(name, id))
}

// message is what a refusal says, where an answer has room for words.
func message(r Resource) *string {
	m := fmt.Sprintf("streamlab refused this: %s is not one this run gave the program, and a program may change only its own", r)
	if r.Type == Cluster {
		m = "streamlab refused this: a program graded on a shared cluster may not change the cluster as a whole"
	}
	return &m
}

// screen decides what of req may reach the broker. It returns nil when
// all of it may, unchanged; otherwise req may have been changed in place
// (the refused parts taken out) and must be encoded again.
func (p *Proxy) screen(req kmsg.Request) *refusal {
	s := &screener{p: p, guard: p.guard}
	ref := s.screen(req)
	if ref != nil {
		ref.denied = s.denied
	}
	return ref
}

func (s *screener) screen(req kmsg.Request) *refusal {
	switch r := req.(type) {
	case *kmsg.MetadataRequest:
		return s.metadata(r)
	case *kmsg.ProduceRequest:
		return s.produce(r)
	case *kmsg.CreateTopicsRequest:
		kept, out := sortOut(r.Topics, func(t kmsg.CreateTopicsRequestTopic) bool { return s.mine(Topic, t.Topic) }, func(t kmsg.CreateTopicsRequestTopic) kmsg.CreateTopicsResponseTopic {
			rt := kmsg.NewCreateTopicsResponseTopic()
			rt.Topic, rt.ErrorCode, rt.ErrorMessage = t.Topic, errTopic, message(Resource{Topic, t.Topic})
			return rt
		})
		return split(len(out), len(kept), func() { r.Topics = kept }, func(resp kmsg.Response) {
			a := resp.(*kmsg.CreateTopicsResponse)
			a.Topics = append(a.Topics, out...)
		})
	case *kmsg.DeleteTopicsRequest:
		return s.deleteTopics(r)
	case *kmsg.DeleteRecordsRequest:
		kept, out := sortOut(r.Topics, func(t kmsg.DeleteRecordsRequestTopic) bool { return s.mine(Topic, t.Topic) }, func(t kmsg.DeleteRecordsRequestTopic) kmsg.DeleteRecordsResponseTopic {
			rt := kmsg.NewDeleteRecordsResponseTopic()
			rt.Topic = t.Topic
			for _, part := range t.Partitions {
				rp := kmsg.NewDeleteRecordsResponseTopicPartition()
				rp.Partition, rp.LowWatermark, rp.ErrorCode = part.Partition, -1, errTopic
				rt.Partitions = append(rt.Partitions, rp)
			}
			return rt
		})
		return split(len(out), len(kept), func() { r.Topics = kept }, func(resp kmsg.Response) {
			a := resp.(*kmsg.DeleteRecordsResponse)
			a.Topics = append(a.Topics, out...)
		})
	case *kmsg.CreatePartitionsRequest:
		kept, out := sortOut(r.Topics, func(t kmsg.CreatePartitionsRequestTopic) bool { return s.mine(Topic, t.Topic) }, func(t kmsg.CreatePartitionsRequestTopic) kmsg.CreatePartitionsResponseTopic {
			rt := kmsg.NewCreatePartitionsResponseTopic()
			rt.Topic, rt.ErrorCode, rt.ErrorMessage = t.Topic, errTopic, message(Resource{Topic, t.Topic})
			return rt
		})
		return split(len(out), len(kept), func() { r.Topics = kept }, func(resp kmsg.Response) {
			a := resp.(*kmsg.CreatePartitionsResponse)
			a.Topics = append(a.Topics, out...)
		})
	case *kmsg.AlterConfigsRequest:
		var kept []kmsg.AlterConfigsRequestResource
		var out []kmsg.AlterConfigsResponseResource
		for _, c := range r.Resources {
			code, res := s.config(c.ResourceType, c.ResourceName)
			if code == 0 {
				kept = append(kept, c)
				continue
			}
			rr := kmsg.NewAlterConfigsResponseResource()
			rr.ResourceType, rr.ResourceName, rr.ErrorCode, rr.ErrorMessage = c.ResourceType, c.ResourceName, code, message(res)
			out = append(out, rr)
		}
		return split(len(out), len(kept), func() { r.Resources = kept }, func(resp kmsg.Response) {
			a := resp.(*kmsg.AlterConfigsResponse)
			a.Resources = append(a.Resources, out...)
		})
	case *kmsg.IncrementalAlterConfigsRequest:
		var kept []kmsg.IncrementalAlterConfigsRequestResource
		var out []kmsg.IncrementalAlterConfigsResponseResource
		for _, c := range r.Resources {
			code, res := s.config(c.ResourceType, c.ResourceName)
			if code == 0 {
				kept = append(kept, c)
				continue
			}
			rr := kmsg.NewIncrementalAlterConfigsResponseResource()
			rr.ResourceType, rr.ResourceName, rr.ErrorCode, rr.ErrorMessage = c.ResourceType, c.ResourceName, code, message(res)
			out = append(out, rr)
		}
		return split(len(out), len(kept), func() { r.Resources = kept }, func(resp kmsg.Response) {
			a := resp.(*kmsg.IncrementalAlterConfigsResponse)
			a.Resources = append(a.Resources, out...)
		})
	case *kmsg.DeleteGroupsRequest:
		kept, out := sortOut(r.Groups, func(g string) bool { return s.mine(Group, g) }, func(g string) kmsg.DeleteGroupsResponseGroup {
			rg := kmsg.NewDeleteGroupsResponseGroup()
			rg.Group, rg.ErrorCode, rg.ErrorMessage = g, errGroup, message(Resource{Group, g})
			return rg
		})
		return split(len(out), len(kept), func() { r.Groups = kept }, func(resp kmsg.Response) {
			a := resp.(*kmsg.DeleteGroupsResponse)
			a.Groups = append(a.Groups, out...)
		})
	case *kmsg.OffsetCommitRequest:
		if s.mine(Group, r.Group) {
			return nil
		}
		return whole(func(resp kmsg.Response) {
			a := resp.(*kmsg.OffsetCommitResponse)
			for _, t := range r.Topics {
				rt := kmsg.NewOffsetCommitResponseTopic()
				rt.Topic, rt.TopicID = t.Topic, t.TopicID
				for _, part := range t.Partitions {
					rp := kmsg.NewOffsetCommitResponseTopicPartition()
					rp.Partition, rp.ErrorCode = part.Partition, errGroup
					rt.Partitions = append(rt.Partitions, rp)
				}
				a.Topics = append(a.Topics, rt)
			}
		})
	case *kmsg.TxnOffsetCommitRequest:
		var code int16
		switch {
		case !s.mine(TransactionalID, r.TransactionalID):
			code = errTxn
		case !s.mine(Group, r.Group):
			code = errGroup
		default:
			return nil
		}
		return whole(func(resp kmsg.Response) {
			a := resp.(*kmsg.TxnOffsetCommitResponse)
			for _, t := range r.Topics {
				rt := kmsg.NewTxnOffsetCommitResponseTopic()
				rt.Topic, rt.TopicID = t.Topic, t.TopicID
				for _, part := range t.Partitions {
					rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
					rp.Partition, rp.ErrorCode = part.Partition, code
					rt.Partitions = append(rt.Partitions, rp)
				}
				a.Topics = append(a.Topics, rt)
			}
		})
	case *kmsg.InitProducerIDRequest:
		if r.TransactionalID == nil || s.mine(TransactionalID, *r.TransactionalID) {
			return nil // an idempotent producer has no transactional id
		}
		return wholeCode(errTxn, Resource{TransactionalID, *r.TransactionalID})
	case *kmsg.EndTxnRequest:
		if s.mine(TransactionalID, r.TransactionalID) {
			return nil
		}
		return wholeCode(errTxn, Resource{TransactionalID, r.TransactionalID})
	case *kmsg.AddOffsetsToTxnRequest:
		if !s.mine(TransactionalID, r.TransactionalID) {
			return wholeCode(errTxn, Resource{TransactionalID, r.TransactionalID})
		}
		if !s.mine(Group, r.Group) {
			return wholeCode(errGroup, Resource{Group, r.Group})
		}
		return nil
	case *kmsg.AddPartitionsToTxnRequest:
		return s.addPartitions(r)
	case *kmsg.CreateACLsRequest:
		s.mine(Cluster, "")
		return whole(func(resp kmsg.Response) {
			a := resp.(*kmsg.CreateACLsResponse)
			for range r.Creations {
				rr := kmsg.NewCreateACLsResponseResult()
				rr.ErrorCode, rr.ErrorMessage = errCluster, message(Resource{Type: Cluster})
				a.Results = append(a.Results, rr)
			}
		})
	case *kmsg.DeleteACLsRequest:
		s.mine(Cluster, "")
		return whole(func(resp kmsg.Response) {
			a := resp.(*kmsg.DeleteACLsResponse)
			for range r.Filters {
				rr := kmsg.NewDeleteACLsResponseResult()
				rr.ErrorCode, rr.ErrorMessage = errCluster, message(Resource{Type: Cluster})
				a.Results = append(a.Results, rr)
			}
		})
	case *kmsg.AlterClientQuotasRequest:
		s.mine(Cluster, "")
		return whole(func(resp kmsg.Response) {
			a := resp.(*kmsg.AlterClientQuotasResponse)
			for _, e := range r.Entries {
				re := kmsg.NewAlterClientQuotasResponseEntry()
				re.ErrorCode, re.ErrorMessage = errCluster, message(Resource{Type: Cluster})
				for _, en := range e.Entity {
					ren := kmsg.NewAlterClientQuotasResponseEntryEntity()
					ren.Type, ren.Name = en.Type, en.Name
					re.Entity = append(re.Entity, ren)
				}
				a.Entries = append(a.Entries, re)
			}
		})
	case *kmsg.AlterUserSCRAMCredentialsRequest:
		s.mine(Cluster, "")
		return whole(func(resp kmsg.Response) {
			a := resp.(*kmsg.AlterUserSCRAMCredentialsResponse)
			seen := map[string]bool{}
			var users []string
			for _, d := range r.Deletions {
				users = append(users, d.Name)
			}
			for _, u := range r.Upsertions {
				users = append(users, u.Name)
			}
			for _, u := range users {
				if seen[u] {
					continue
				}
				seen[u] = true
				rr := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
				rr.User, rr.ErrorCode, rr.ErrorMessage = u, errCluster, message(Resource{Type: Cluster})
				a.Results = append(a.Results, rr)
			}
		})
	}
	// Group requests of every protocol (classic, consumer, share,
	// streams) name their group in a field of their own: joining,
	// leaving or heartbeating in another's group would move its
	// partitions away from it.
	if g, ok := groupOf(req); ok {
		if s.mine(Group, g) {
			return nil
		}
		return wholeCode(errGroup, Resource{Group, g})
	}
	// Whatever else changes something changes the cluster: broker
	// configs, features, partition moves, brokers' own requests.
	s.mine(Cluster, "")
	return wholeCode(errCluster, Resource{Type: Cluster})
}

// split is the refusal of some of a request's items: none refused is no
// refusal; all refused is answered whole; otherwise keep takes the
// refused ones out of the request, and fill adds them to the answer.
func split(refused, kept int, keep func(), fill func(kmsg.Response)) *refusal {
	if refused == 0 {
		return nil
	}
	if kept == 0 {
		return whole(fill)
	}
	keep()
	return &refusal{fill: fill}
}

func whole(fill func(kmsg.Response)) *refusal { return &refusal{whole: true, fill: fill} }

// wholeCode refuses a request whose answer has one error code for all of
// it; an answer without one (in the request's version) cannot refuse, and
// the connection is closed instead.
func wholeCode(code int16, r Resource) *refusal {
	ref := &refusal{whole: true}
	ref.fill = func(resp kmsg.Response) {
		if !setError(resp, code, message(r)) {
			ref.unanswerable = true
		}
	}
	return ref
}

// groupOf is the group a request names in a Group or GroupID field.
func groupOf(req kmsg.Request) (string, bool) {
	v := reflect.ValueOf(req).Elem()
	for _, name := range []string{"Group", "GroupID"} {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
			return f.String(), true
		}
	}
	return "", false
}

// setError sets an answer's top-level error code, and its message where it
// has one; false when the answer has no top-level error code.
func setError(resp kmsg.Response, code int16, msg *string) bool {
	v := reflect.ValueOf(resp).Elem()
	f := v.FieldByName("ErrorCode")
	if !f.IsValid() || f.Kind() != reflect.Int16 {
		return false
	}
	// Some answers carry their top-level error only from some version on.
	if !hasTopLevelError(resp) {
		return false
	}
	f.SetInt(int64(code))
	if m := v.FieldByName("ErrorMessage"); m.IsValid() && m.Type() == reflect.TypeFor[*string]() {
		m.Set(reflect.ValueOf(msg))
	}
	return true
}

// hasTopLevelError reports whether resp, in its version, encodes its
// top-level error code: a version that does not would read as success.
func hasTopLevelError(resp kmsg.Response) bool {
	switch r := resp.(type) {
	case *kmsg.AddPartitionsToTxnResponse:
		return r.Version >= 4
	case *kmsg.ElectLeadersResponse:
		return r.Version >= 1
	}
	return true
}

// metadata keeps a program from creating topics that are not its own by
// asking for their metadata (auto.create.topics.enable): such a request
// is sent without leave to create, and a foreign topic the broker then
// does not know reads as refused, not as missing, so the program hears
// at once why it cannot write there.
func (s *screener) metadata(r *kmsg.MetadataRequest) *refusal {
	if !r.AllowAutoTopicCreation {
		return nil
	}
	foreign := map[string]bool{}
	for _, t := range r.Topics {
		if t.Topic != nil && !s.guard(Resource{Topic, *t.Topic}) {
			foreign[*t.Topic] = true
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	r.AllowAutoTopicCreation = false
	return &refusal{fill: func(resp kmsg.Response) {
		a := resp.(*kmsg.MetadataResponse)
		for i := range a.Topics {
			t := &a.Topics[i]
			if t.Topic != nil && foreign[*t.Topic] && t.ErrorCode == kerr.UnknownTopicOrPartition.Code {
				t.ErrorCode = errTopic
			}
		}
	}}
}

// produce refuses a write to another's topic, or one in another's
// transaction. A request with acks=0 has no answer to refuse with: its
// refused part is dropped.
func (s *screener) produce(r *kmsg.ProduceRequest) *refusal {
	code := errTopic
	txnOK := r.TransactionID == nil || s.mine(TransactionalID, *r.TransactionID)
	if !txnOK {
		code = errTxn
	}
	var kept, out []kmsg.ProduceRequestTopic
	for _, t := range r.Topics {
		if s.topic(t.Topic, t.TopicID) && txnOK {
			kept = append(kept, t)
		} else {
			out = append(out, t)
		}
	}
	return split(len(out), len(kept), func() { r.Topics = kept }, func(resp kmsg.Response) {
		a := resp.(*kmsg.ProduceResponse)
		for _, t := range out {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, part := range t.Partitions {
				rp := kmsg.NewProduceResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.BaseOffset = part.Partition, code, -1
				rp.ErrorMessage = message(Resource{Topic, s.p.topicName(t.Topic, t.TopicID)})
				rt.Partitions = append(rt.Partitions, rp)
			}
			a.Topics = append(a.Topics, rt)
		}
	})
}

// deleteTopics refuses deleting another's topic, named (up to v5, and
// from v6 on by name or id).
func (s *screener) deleteTopics(r *kmsg.DeleteTopicsRequest) *refusal {
	var out []kmsg.DeleteTopicsResponseTopic
	refuse := func(name *string, id [16]byte) {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		n := s.p.topicName(deref(name), id)
		rt.Topic, rt.TopicID, rt.ErrorCode, rt.ErrorMessage = name, id, errTopic, message(Resource{Topic, n})
		if rt.Topic == nil && r.Version < 6 {
			rt.Topic = &n
		}
		out = append(out, rt)
	}
	var keptNames []string
	for _, n := range r.TopicNames {
		if s.mine(Topic, n) {
			keptNames = append(keptNames, n)
		} else {
			refuse(&n, [16]byte{})
		}
	}
	var kept []kmsg.DeleteTopicsRequestTopic
	for _, t := range r.Topics {
		if s.topic(deref(t.Topic), t.TopicID) {
			kept = append(kept, t)
		} else {
			refuse(t.Topic, t.TopicID)
		}
	}
	return split(len(out), len(keptNames)+len(kept), func() { r.TopicNames, r.Topics = keptNames, kept }, func(resp kmsg.Response) {
		a := resp.(*kmsg.DeleteTopicsResponse)
		a.Topics = append(a.Topics, out...)
	})
}

// addPartitions refuses adding another's partitions to a transaction
// (its commit would write markers into them), or anything to another's
// transaction. From v4 the request is the brokers' own, batched by
// transaction, and is refused whole.
func (s *screener) addPartitions(r *kmsg.AddPartitionsToTxnRequest) *refusal {
	if r.Version >= 4 {
		// Transactions first, so that another's is the reason given.
		for _, t := range r.Transactions {
			s.mine(TransactionalID, t.TransactionalID)
		}
		for _, t := range r.Transactions {
			for _, tt := range t.Topics {
				s.mine(Topic, tt.Topic)
			}
		}
		if len(s.denied) == 0 {
			return nil
		}
		code := errTopic
		if s.denied[0].Type == TransactionalID {
			code = errTxn
		}
		return wholeCode(code, s.denied[0])
	}
	code := errTopic
	txnOK := s.mine(TransactionalID, r.TransactionalID)
	if !txnOK {
		code = errTxn
	}
	refused := !txnOK
	for _, t := range r.Topics {
		refused = !s.mine(Topic, t.Topic) || refused
	}
	if !refused {
		return nil
	}
	// Partly refused, the transaction would be left in a state the
	// program did not ask for: refuse all of it, each partition with
	// the reason that applies to it.
	return whole(func(resp kmsg.Response) {
		a := resp.(*kmsg.AddPartitionsToTxnResponse)
		for _, t := range r.Topics {
			rt := kmsg.NewAddPartitionsToTxnResponseTopic()
			rt.Topic = t.Topic
			c := code
			if txnOK && s.guard(Resource{Topic, t.Topic}) {
				c = kerr.OperationNotAttempted.Code
			}
			for _, part := range t.Partitions {
				rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				rp.Partition, rp.ErrorCode = part, c
				rt.Partitions = append(rt.Partitions, rp)
			}
			a.Topics = append(a.Topics, rt)
		}
	})
}

// config is the error code for altering a config resource, 0 when it is
// the program's own to alter.
func (s *screener) config(t kmsg.ConfigResourceType, name string) (int16, Resource) {
	switch t {
	case kmsg.ConfigResourceTypeTopic:
		if s.mine(Topic, name) {
			return 0, Resource{}
		}
		return errTopic, Resource{Topic, name}
	case configResourceGroup:
		if s.mine(Group, name) {
			return 0, Resource{}
		}
		return errGroup, Resource{Group, name}
	}
	s.mine(Cluster, "")
	return errCluster, Resource{Type: Cluster}
}

// configResourceGroup is a group's configs (KIP-848), which kmsg has no
// name for.
const configResourceGroup kmsg.ConfigResourceType = 32

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// answerFrame encodes an answer the proxy gives itself, for the request
// with correlation id corr.
func answerFrame(corr int32, resp kmsg.Response) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(corr))
	if resp.IsFlexible() && resp.Key() != keyAPIVersions {
		out = append(out, 0) // no tagged fields in the header
	}
	return resp.AppendTo(out)
}

// sortOut keeps the items of a request that are the program's own and
// makes the refusal of each of the others, in order: the one loop of
// every request that names several topics or groups.
func sortOut[T, R any](items []T, own func(T) bool, refuse func(T) R) (kept []T, out []R) {
	for _, it := range items {
		if own(it) {
			kept = append(kept, it)
			continue
		}
		out = append(out, refuse(it))
	}
	return kept, out
}
