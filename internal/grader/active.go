package grader

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"

	"github.com/streamlab/streamlab/internal/catalogue"
)

// A kill of "the active instance" (active: {subscription, topic}) finds
// its target the way an operator would: the broker names the
// subscription's active consumer and the address its connection comes
// from; the instance whose process holds the socket at that address is the
// one to kill. Nothing is asked of the program (no naming convention), so
// any client in any language can be judged. It needs Linux's /proc; on
// other systems the fault says so and is not injected.

// activeInstance returns the instance whose consumer is the active one of
// a's subscription, or -1 and why none is yet.
func (f *fleet) activeInstance(a *catalogue.ActiveConsumer) (int, string) {
	if runtime.GOOS != "linux" {
		return -1, "telling which instance holds the active consumer needs Linux's /proc, and this is " + runtime.GOOS
	}
	topic, sub := f.g.values[a.Topic], f.g.values[a.Subscription]
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return -1, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := f.g.env.Pulsar.Admin.Topics().GetStatsWithContext(ctx, *tn)
	if err != nil {
		return -1, fmt.Sprintf("reading the stats of %s: %v", topic, err)
	}
	ss, ok := st.Subscriptions[sub]
	if !ok {
		return -1, fmt.Sprintf("there was no subscription %s on %s", sub, topic)
	}
	if ss.ActiveConsumerName == "" {
		return -1, fmt.Sprintf("%s had no active consumer (a %s subscription has none: only Failover and Exclusive have one)", sub, ss.SubType)
	}
	var addrs []string
	for _, c := range ss.Consumers {
		if c.ConsumerName == ss.ActiveConsumerName {
			addrs = append(addrs, c.Address)
		}
	}
	if len(addrs) != 1 {
		return -1, fmt.Sprintf("%d consumers of %s are named %q, the active one's name, so the broker's stats do not say which one is active: give each instance's consumer a name of its own", len(addrs), sub, ss.ActiveConsumerName)
	}
	port, err := addressPort(addrs[0])
	if err != nil {
		return -1, err.Error()
	}
	inodes, err := socketInodes(port)
	if err != nil || len(inodes) == 0 {
		return -1, fmt.Sprintf("no socket on this machine has the active consumer's address %s", addrs[0])
	}
	f.mu.Lock()
	roots := make([]int, len(f.procs))
	for i, p := range f.procs {
		if p != nil {
			roots[i] = p.Pid()
		}
	}
	f.mu.Unlock()
	tree := processTree()
	for i, root := range roots {
		if root == 0 {
			continue
		}
		for _, pid := range descendants(tree, root) {
			if holdsSocket(pid, inodes) {
				return i, ""
			}
		}
	}
	return -1, fmt.Sprintf("the active consumer's connection (%s) belongs to no instance of the program", addrs[0])
}

// addressPort reads the port of a consumer's address as the broker shows
// it ("/127.0.0.1:41234").
func addressPort(addr string) (int, error) {
	_, p, err := net.SplitHostPort(strings.TrimPrefix(addr, "/"))
	if err == nil {
		var n int
		if n, err = strconv.Atoi(p); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("the broker gave the active consumer's address as %q, not host:port", addr)
}

// socketInodes are the inodes of the TCP sockets whose local port is port.
func socketInodes(port int) (map[string]bool, error) {
	out := map[string]bool{}
	var errs []error
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for inode := range socketsOn(bufio.NewScanner(f), port) {
			out[inode] = true
		}
		f.Close()
	}
	if len(errs) == 2 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// socketsOn reads a /proc/net/tcp table: "sl local_address rem_address st
// tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...", addresses
// in hex as ADDR:PORT.
func socketsOn(sc *bufio.Scanner, port int) map[string]bool {
	out := map[string]bool{}
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port && fields[9] != "0" {
			out[fields[9]] = true
		}
	}
	return out
}

// processTree maps every process to its children, from /proc/*/stat.
func processTree() map[int][]int {
	tree := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parens.
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+1:]
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			tree[ppid] = append(tree[ppid], pid)
		}
	}
	return tree
}

// descendants is root and every process below it.
func descendants(tree map[int][]int, root int) []int {
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, tree[out[i]]...)
	}
	return out
}

// holdsSocket reports whether process pid has one of the socket inodes
// open.
func holdsSocket(pid int, inodes map[string]bool) bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			return true
		}
	}
	return false
}
