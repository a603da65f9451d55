// Package serve is the course over SSH: `streamlab serve` lets learners
// run `ssh -p 2222 HOST` and get the same terminal UI `streamlab` opens,
// with nothing to install. A learner is known by their public key (an
// instructor's allow-list, or a key registered once with the workshop's
// passcode); each has a workspace, progress and name prefix of their own,
// gets them back on reconnecting, and checks on the clusters the server
// shares, a few at a time (Queue).
package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/runner"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/watch"
)

// Cluster is a cluster the server shares with every learner.
type Cluster struct {
	Cluster containers.Cluster
	// Provider says how it runs, as the server's own session chose it:
	// "local", "docker", "local (kept up)", "external".
	Provider string
}

// Options configure a Server.
type Options struct {
	// Content and Module are the course and the go.mod every new
	// workspace gets, as for `streamlab` itself.
	Content fs.FS
	Module  workspace.Module
	// Data holds the host key, the registered keys and every learner's
	// folders (Data/learners/NAME/{workspace,state}).
	Data string
	// Allow is an allow-list in authorized_keys format ("" for none).
	Allow string
	// Passcode lets a learner whose key is not known register it, once,
	// under a name they choose; "" turns registration off.
	Passcode string
	// Clusters are the clusters the learners' checks run on, by kind. A
	// learner's session never starts one of its own.
	Clusters map[containers.Kind]Cluster
	// MaxChecks is how many checks run at once; the others wait in line.
	MaxChecks int
	// Editor is the command line e runs (the file is added at its end).
	Editor []string
	Logger *slog.Logger
	// Watch tunes watch mode, as for `streamlab`.
	Watch watch.Options
	// Users gives every learner a Unix user of their own and runs their
	// programs, builds and editor as it (users.go); the server must run
	// as root.
	Users bool
	// Session, when set, adjusts each learner's session options before
	// it opens (name is the learner): the place for hooks such as a class
	// view's OnCheck.
	Session func(name string, o *course.Options)
}

// Server serves the course over SSH.
type Server struct {
	opts  Options
	log   *slog.Logger
	keys  *Keys
	queue *Queue
	ssh   *ssh.Server
	// hostKey is the fingerprint of the host key.
	hostKey string

	sessions sync.Map // ssh.Session -> *conn, from connect to program

	mu       sync.Mutex
	conns    map[string]*conn           // by learner: the one connection each may have
	accounts map[string]*runner.Account // by learner, with Options.Users
	closing  bool
	handlers sync.WaitGroup
}

// conn is one learner's connection.
type conn struct {
	learner string
	ctx     context.Context // ends with the connection, or when it is replaced
	cancel  context.CancelFunc
	done    chan struct{} // closed once its session is closed

	// tty is the server's own handle on the session's terminal (see
	// openTTY); the UI and the editor run on it.
	tty  *os.File
	term string // the learner's TERM
	size *sizeSync

	mu       sync.Mutex
	model    *tui.Model
	program  *tea.Program
	replaced string // why the connection was ended by the server, if it was
}

// Paths are where a learner's files live on the server.
type Paths struct {
	Root      string // Data/learners/NAME
	Workspace string
	State     string
	Home      string // the learner's user's home, with Options.Users
}

// LearnerPaths lays out a learner's folders under a server's data folder.
func LearnerPaths(data, name string) Paths {
	root := filepath.Join(data, "learners", name)
	return Paths{Root: root, Workspace: filepath.Join(root, "workspace"), State: filepath.Join(root, "state"), Home: filepath.Join(root, "home")}
}

// New prepares a server: the data folder, the host key (made on the first
// start) and the keys it knows. It listens on nothing until Serve.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Allow == "" && opts.Passcode == "" {
		return nil, errors.New("nobody could log in: give an allow-list of learners' keys, or a passcode with which learners register their own")
	}
	if len(opts.Clusters) == 0 {
		return nil, errors.New("no cluster to grade on")
	}
	if len(opts.Editor) == 0 {
		e, err := ChooseEditor("")
		if err != nil {
			return nil, err
		}
		opts.Editor = e
	}
	// Learners' folders, the registered keys and the host key are the
	// server's alone; with users of their own, learners' programs may
	// pass through the folders above their workspaces, never list them.
	mode := os.FileMode(0o700)
	if opts.Users {
		if err := checkUsers(opts.Data); err != nil {
			return nil, err
		}
		mode = 0o711
	}
	for _, d := range []string{opts.Data, filepath.Join(opts.Data, "learners")} {
		if err := os.MkdirAll(d, mode); err != nil {
			return nil, fmt.Errorf("the data folder: %w", err)
		}
		if err := os.Chmod(d, mode); err != nil {
			return nil, fmt.Errorf("the data folder: %w", err)
		}
	}
	s := &Server{opts: opts, log: opts.Logger, queue: NewQueue(opts.MaxChecks), conns: map[string]*conn{}, accounts: map[string]*runner.Account{}}
	var err error
	s.keys, err = LoadKeys(opts.Allow, filepath.Join(opts.Data, "registered_keys"), func(err error) {
		s.log.Warn("allow-list", "err", err)
	})
	if err != nil {
		return nil, err
	}
	// A name with folders is someone's, even if their key has left the
	// allow-list: a new key registering under it would get their work.
	s.keys.Reserved = func(name string) bool {
		_, err := os.Stat(LearnerPaths(opts.Data, name).Root)
		return err == nil
	}
	hostKey := filepath.Join(opts.Data, "host_ed25519")
	s.ssh, err = wish.NewServer(
		wish.WithHostKeyPath(hostKey),
		ssh.AllocatePty(), // a real terminal: the editor runs in it
		func(srv *ssh.Server) error {
			srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig { return s.authConfig() }
			srv.ConnectionFailedCallback = func(c net.Conn, err error) {
				s.log.Info("connection refused", "remote", c.RemoteAddr().String(), "err", err)
			}
			return nil
		},
		wish.WithMiddleware(
			bubbletea.MiddlewareWithProgramHandler(s.program),
			s.connect,
		),
	)
	if err != nil {
		return nil, fmt.Errorf("the SSH server: %w", err)
	}
	// The folder is open to passing learners with --users, so the host
	// key must be closed by its own mode; and the key's maker closes the
	// folder it writes in, so it is opened again.
	if err := os.Chmod(hostKey, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the host key: %w", err)
	}
	if err := os.Chmod(opts.Data, mode); err != nil {
		return nil, fmt.Errorf("the data folder: %w", err)
	}
	if len(s.ssh.HostSigners) > 0 {
		s.hostKey = gossh.FingerprintSHA256(s.ssh.HostSigners[0].PublicKey())
	}
	return s, nil
}

// HostKey is the fingerprint of the server's host key, for learners to
// compare with what ssh shows on their first connection.
func (s *Server) HostKey() string { return s.hostKey }

// Queue is the line checks wait in.
func (s *Server) Queue() *Queue { return s.queue }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, ends every learner's (their
// checks stop, their sessions close: topics kept for the inspector are
// removed), and waits for that until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	go func() { _ = s.ssh.Shutdown(ctx) }() // closes the listeners at once
	for _, c := range conns {
		c.end("the workshop's server is stopping")
	}
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("learners' sessions still closing: %w", ctx.Err())
	}
	if cerr := s.ssh.Close(); err == nil && !errors.Is(cerr, ssh.ErrServerClosed) {
		err = cerr
	}
	return err
}

// extLearner is the permissions extension that names the learner a key
// authenticated.
const extLearner = "streamlab-learner"

// connect runs around the UI of one SSH session: it finds the learner,
// ends an earlier connection of theirs, opens their course session, lets
// the UI run (next), then closes what the UI left.
func (s *Server) connect(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			wish.Fatalln(sess, "streamlab: the workshop's server is stopping")
			return
		}
		// Under s.mu, so that Shutdown's Wait never races an Add.
		s.handlers.Add(1)
		s.mu.Unlock()
		defer s.handlers.Done()
		name := ""
		if p := sess.Permissions().Permissions; p != nil {
			name = p.Extensions[extLearner]
		}
		if name == "" {
			// Authentication lets nobody in without a name; refuse rather
			// than run a UI for no one.
			wish.Fatalln(sess, "streamlab: you are not a learner of this workshop")
			return
		}
		pty, _, ok := sess.Pty()
		if !ok {
			wish.Fatalln(sess, "streamlab: the course needs a terminal: connect with ssh -t")
			return
		}
		if len(sess.Command()) > 0 {
			wish.Fatalln(sess, "streamlab: this server runs the course only, not commands: connect without one")
			return
		}
		log := s.log.With("learner", name)
		tty, err := openTTY(pty)
		if err != nil {
			log.Error("the session's terminal", "err", err)
			wish.Fatalln(sess, "streamlab: your terminal could not be set up: "+err.Error())
			return
		}
		defer tty.Close()
		c, err := s.take(name, sess.Context())
		if err != nil {
			wish.Fatalln(sess, "streamlab: "+err.Error())
			return
		}
		c.tty, c.term = tty, pty.Term
		c.size = &sizeSync{tty: tty, w: pty.Window.Width, h: pty.Window.Height}
		// In this order: the next connection of the learner's, waiting on
		// done, must find this one gone.
		defer close(c.done)
		defer s.drop(c)
		defer c.cancel()

		acct, err := s.learnerAccount(name)
		if err != nil {
			log.Error("the learner's user", "err", err)
			wish.Fatalln(sess, "streamlab: your account on the server could not be set up; tell your instructor")
			return
		}
		cs, err := s.open(name, acct, log)
		if err != nil {
			log.Error("opening the session", "err", err)
			wish.Fatalln(sess, "streamlab: your course could not be opened: "+err.Error())
			return
		}
		paths := LearnerPaths(s.opts.Data, name)
		model := tui.New(c.ctx, tui.Options{
			Session: cs, Logger: log, Watch: s.opts.Watch,
			Editor: func(file string) *exec.Cmd {
				return editorCommand(c.ctx, s.opts.Editor, file, paths.Workspace, pty.Term, tty, acct)
			},
		})
		c.mu.Lock()
		c.model = model
		c.mu.Unlock()
		log.Info("connected", "remote", sess.RemoteAddr().String(), "term", pty.Term, "size", fmt.Sprintf("%dx%d", pty.Window.Width, pty.Window.Height))
		// By session, not in the context: sessions of one connection
		// share a context.
		s.sessions.Store(sess, c)
		defer s.sessions.Delete(sess)

		next(sess) // the UI, until q or the connection ends

		if err := model.Close(); err != nil {
			log.Warn("closing the session", "err", err)
		}
		c.mu.Lock()
		why := c.replaced
		c.mu.Unlock()
		if why != "" {
			wish.Println(sess, "\r\nstreamlab: "+why+"\r")
		}
		log.Info("disconnected", "why", why)
	}
}

// program is the UI of a session connect prepared; nil when the
// connection ended meanwhile. wish's bubbletea middleware runs it and
// tells it of window changes; its input and output are the server's own
// handle on the terminal (openTTY) rather than the library's, and sizes
// go through sizeSync.
func (s *Server) program(sess ssh.Session) *tea.Program {
	v, _ := s.sessions.Load(sess)
	c, _ := v.(*conn)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil || c.model == nil {
		return nil
	}
	c.program = tea.NewProgram(c.model,
		tea.WithInput(c.tty), tea.WithOutput(c.tty),
		tea.WithEnvironment(append(sess.Environ(), "TERM="+c.term)),
		tea.WithWindowSize(c.size.w, c.size.h),
		tea.WithFilter(c.size.filter),
	)
	go c.size.poll(c.ctx, c.program)
	return c.program
}

// take makes c the learner's one connection, ending the one they had:
// a learner who reconnects (the old connection may linger after a
// dropped network) gets their own session back, never two at once on the
// same files.
func (s *Server) take(name string, parent context.Context) (*conn, error) {
	ctx, cancel := context.WithCancel(parent)
	c := &conn{learner: name, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	for range 3 {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			cancel()
			return nil, errors.New("the workshop's server is stopping")
		}
		prev := s.conns[name]
		if prev == nil {
			s.conns[name] = c
			s.mu.Unlock()
			return c, nil
		}
		s.mu.Unlock()
		prev.end("you connected again from elsewhere, so this connection is closed")
		select {
		case <-prev.done:
		case <-time.After(time.Minute):
			cancel()
			return nil, errors.New("your earlier connection is still closing; try again in a minute")
		case <-parent.Done():
			cancel()
			return nil, parent.Err()
		}
	}
	cancel()
	return nil, errors.New("you are connecting from several places at once; connect from one")
}

// drop forgets c once it has ended.
func (s *Server) drop(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.learner] == c {
		delete(s.conns, c.learner)
	}
}

// end stops the connection's UI and its check, saying why once the
// terminal is the learner's again.
func (c *conn) end(why string) {
	c.mu.Lock()
	if c.replaced == "" {
		c.replaced = why
	}
	c.cancel()
	p := c.program
	c.mu.Unlock()
	if p != nil {
		// Quit waits for the program's loop, which may not have started.
		go p.Quit()
	}
}

// learnerAccount is the learner's Unix user with Options.Users, else nil.
func (s *Server) learnerAccount(name string) (*runner.Account, error) {
	if !s.opts.Users {
		return nil, nil
	}
	return s.account(name)
}

// open opens a learner's course session on their own folders, creating
// their workspace on their first visit. acct, when not nil, is the
// learner's own user (Options.Users).
func (s *Server) open(name string, acct *runner.Account, log *slog.Logger) (*course.Session, error) {
	p := LearnerPaths(s.opts.Data, name)
	for _, d := range []string{p.Root, p.State} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if acct != nil {
		if err := os.Chmod(p.Root, 0o711); err != nil {
			return nil, err
		}
	}
	o := course.Options{
		Content: s.opts.Content, Module: s.opts.Module,
		// external: the session reaches clusters it did not start, and
		// reset clears what earlier runs left on them.
		Config:   config.Config{Cluster: "external", Learner: name, Workspace: p.Workspace},
		StateDir: p.State, KeepRuns: true, Gate: s.queue, Logger: log,
		Choose: s.choose, As: acct,
		// Everyone's checks share the server's clusters.
		Guard: true,
	}
	if s.opts.Session != nil {
		s.opts.Session(name, &o)
	}
	cs, err := course.Open(o)
	if err != nil {
		return nil, err
	}
	if !cs.Workspace().Exists() {
		if _, err := cs.Init(); err != nil {
			_ = cs.Close(context.Background())
			return nil, fmt.Errorf("creating your workspace: %w", err)
		}
		log.Info("workspace created", "dir", p.Workspace)
	}
	return cs, nil
}

// noCluster is choose's answer for a kind the server runs no cluster of:
// its text for the learner, and course.ErrNoCluster for the UI.
type noCluster string

func (e noCluster) Error() string      { return string(e) }
func (noCluster) Is(target error) bool { return target == course.ErrNoCluster }

// choose hands every learner's session the server's clusters: a check
// never starts one of its own.
func (s *Server) choose(_ string, k containers.Kind, _ auto.Options) (auto.Choice, error) {
	c, ok := s.opts.Clusters[k]
	if !ok {
		var have []containers.Kind
		for kind := range s.opts.Clusters {
			have = append(have, kind)
		}
		return auto.Choice{}, noCluster(fmt.Sprintf("this workshop's server runs no %s cluster (only %s): ask your instructor", k, containers.JoinKinds(have, " and ")))
	}
	// "(kept up)": the UI then says the cluster is reused, not started.
	name := strings.TrimSuffix(c.Provider, " (kept up)") + " (kept up)"
	return auto.Choice{
		Provider: external.New(name, c.Cluster.Endpoints()),
		Why:      "shared by the workshop's server: everyone's checks run on it, each under their own name prefix",
	}, nil
}
