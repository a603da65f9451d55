package proxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// Admin stands between a program and a Pulsar cluster's admin API, the
// REST service at the cluster's web service URL. Pulsar's binary protocol
// cannot delete a topic or a namespace; the admin API can, and lets any
// client do it on a cluster without authorization. Admin passes every
// request that only reads (GET, HEAD, OPTIONS) and every one whose path
// names a topic or namespace the guard calls the program's own; any
// other is answered 403 with Pulsar's own error shape ({"reason": ...}),
// and never reaches the cluster.
type Admin struct {
	srv      *http.Server
	ln       net.Listener
	upstream *url.URL
	guard    Guard
	hook     Hook
}

// StartAdmin listens on the loopback interface for a program that would
// use the admin API at upstream (http or https; tlsConfig, when not nil,
// is how to reach an https one). hook hears of every Refused request.
func StartAdmin(upstream string, tlsConfig *tls.Config, guard Guard, hook Hook) (*Admin, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("proxy: the admin URL %q is not a URL", upstream)
	}
	if guard == nil {
		return nil, errors.New("proxy: an admin proxy needs a guard")
	}
	if hook == nil {
		hook = func(Request) Verdict { return Deliver }
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	a := &Admin{ln: ln, upstream: u, guard: guard, hook: hook}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	quiet := log.New(io.Discard, "", 0) // a program's failed request is the program's to report
	rp := &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport:      transport,
		ModifyResponse: a.keepRedirects,
		ErrorLog:       quiet,
	}
	a.srv = &http.Server{Handler: a.handler(rp), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// URL is the admin URL to give the program.
func (a *Admin) URL() string { return "http://" + a.ln.Addr().String() }

// Close stops the listener and every request under way.
func (a *Admin) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if a.srv.Shutdown(ctx) != nil {
		_ = a.srv.Close()
	}
}

func (a *Admin) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			// A read stays a read: no header may turn it into another method.
			r.Header.Del("X-HTTP-Method-Override")
			r.Header.Del("X-HTTP-Method")
			r.Header.Del("X-Method-Override")
			next.ServeHTTP(w, r)
			return
		}
		res := AdminResource(r.URL.EscapedPath())
		if res.Type != Cluster && res.Type != Tenant && a.guard(res) {
			next.ServeHTTP(w, r)
			return
		}
		a.hook(Request{Kind: Refused, Denied: []Resource{res}, Action: r.Method + " " + r.URL.Path})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"reason": *message(res)})
	})
}

// keepRedirects points a redirect to the cluster (a broker sending the
// client to the one that owns a topic) back at the proxy, so that the
// program's next request is screened too.
func (a *Admin) keepRedirects(resp *http.Response) error {
	loc, err := resp.Location()
	if err != nil {
		return nil // no redirect
	}
	if loc.Host == a.upstream.Host || loc.Hostname() == a.upstream.Hostname() {
		loc.Scheme, loc.Host = "http", a.ln.Addr().String()
		resp.Header.Set("Location", loc.String())
	}
	return nil
}

// AdminResource is what an admin API path acts on: a topic
// (/admin/v2/persistent/TENANT/NAMESPACE/TOPIC/..., non-persistent alike,
// and /admin/v2/schemas/TENANT/NAMESPACE/TOPIC/...), a namespace
// (/admin/v2/namespaces/TENANT/NAMESPACE/..., and a topic domain's
// namespace level), a tenant, or else the cluster. Topics are named in
// full (persistent://tenant/namespace/topic), namespaces as
// tenant/namespace.
func AdminResource(escapedPath string) Resource {
	var parts []string
	for _, p := range strings.Split(strings.Trim(escapedPath, "/"), "/") {
		u, err := url.PathUnescape(p)
		// A segment the server could read as a step up or aside
		// ("..", "..;x", an encoded slash) might land on another
		// resource than the one it seems to name: it names none.
		if err != nil || u == "" || u == "." || u == ".." || strings.ContainsAny(u, "/\\;") {
			return Resource{Type: Cluster}
		}
		parts = append(parts, u)
	}
	if len(parts) < 4 || parts[0] != "admin" || parts[1] != "v2" {
		return Resource{Type: Cluster}
	}
	kind, rest := parts[2], parts[3:]
	switch kind {
	case "persistent", "non-persistent", "schemas":
		domain := kind
		if kind == "schemas" {
			domain = "persistent"
		}
		switch {
		case len(rest) >= 3:
			return Resource{Topic, domain + "://" + rest[0] + "/" + rest[1] + "/" + rest[2]}
		case len(rest) == 2:
			return Resource{Namespace, rest[0] + "/" + rest[1]}
		}
		return Resource{Tenant, rest[0]}
	case "namespaces":
		if len(rest) >= 2 {
			return Resource{Namespace, rest[0] + "/" + rest[1]}
		}
		return Resource{Tenant, rest[0]}
	case "tenants":
		return Resource{Tenant, rest[0]}
	}
	return Resource{Type: Cluster}
}
