package serve

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	gossh "golang.org/x/crypto/ssh"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local/localtest"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/workspace"
)

const exerciseID = "kafka/keyed-producer"

// localKafka starts a real Kafka for one test (localtest.Start).
func localKafka(t testing.TB) containers.Cluster { return localtest.Start(t, containers.Kafka) }

// testServer is a server on a loopback port with its data folder.
type testServer struct {
	srv  *Server
	addr string
	data string
}

func startServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	if opts.Data == "" {
		opts.Data = t.TempDir()
	}
	opts.Content = streamlab.Content
	opts.Module = workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum)
	if opts.Logger == nil {
		f, err := os.Create(filepath.Join(opts.Data, "serve.log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		opts.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{srv: srv, addr: ln.Addr().String(), data: opts.Data}
}

// downsTo is how many times a learner with no progress presses down on
// the home screen to reach an exercise: the cursor starts on the course's
// first exercise, and labs are rows too.
func downsTo(t testing.TB, cat *catalogue.Catalogue, id string) int {
	t.Helper()
	row, first, target := 0, -1, -1
	for _, lab := range cat.Labs {
		row++ // the lab's own row
		for _, ex := range lab.Exercises {
			if first < 0 {
				first = row
			}
			if ex == id {
				target = row
			}
			row++
		}
	}
	if target < 0 {
		t.Fatalf("%s is in no lab", id)
	}
	return target - first
}

// openExercise goes from the home screen to the exercise.
func (l *learner) openExercise(cat *catalogue.Catalogue, id string) {
	l.t.Helper()
	l.waitFor(30*time.Second, "Your course")
	for range downsTo(l.t, cat, id) {
		l.press("j")
	}
	l.press("enter")
	l.waitFor(30*time.Second, id, "c checks your program")
}

// copySolution puts an exercise's reference solution into a learner's
// workspace, as a learner who solved it would have it.
func copySolution(t testing.TB, data, name string, ex *catalogue.Exercise) {
	t.Helper()
	ws := workspace.New(LearnerPaths(data, name).Workspace, streamlab.Content, workspace.Module{})
	dir := ws.ExerciseDir(ex)
	for _, f := range ex.Files {
		b, err := fs.ReadFile(streamlab.Content, path.Join(ex.SolutionDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// topicsOf lists the topics on the cluster whose names hold part.
func topicsOf(t testing.TB, cl containers.Cluster, part string) []string {
	t.Helper()
	client, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	details, err := kadm.NewClient(client).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range details.Names() {
		if strings.Contains(name, part) {
			out = append(out, name)
		}
	}
	return out
}

// Three learners with their own keys check the same exercise at once on
// one real Kafka, through a queue of one: each sees only their own
// verdict, their runs' names carry their own prefix, their workspaces and
// progress are their own; the editor runs on the learner's file in their
// terminal; unknown keys and wrong passcodes get nothing; a registered
// key and a reconnecting learner get their own course back.
func TestLearnersOverSSH(t *testing.T) {
	cl := localKafka(t)
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise(exerciseID)

	keys := map[string]gossh.Signer{"ada": newKey(t), "bob": newKey(t), "cy": newKey(t)}
	dir := t.TempDir()
	allow := filepath.Join(dir, "allow")
	list := "# the class\n" +
		authorizedLine(keys["ada"], "", "ada@laptop") + "\n" +
		authorizedLine(keys["bob"], `name="bob"`, "robert's desktop") + "\n\n" +
		authorizedLine(keys["cy"], "", "cy") + "\n"
	if err := os.WriteFile(allow, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	// The editor: a script that marks the file it was given and records
	// whether it had a terminal, and of what size.
	editor := filepath.Join(dir, "editor")
	// cy's editor hangs, until the connection it runs in goes.
	script := "#!/bin/sh\ncase \"$HOME\" in */cy/*) exec sleep 600;; esac\n" +
		"printf '\\n// edited over ssh\\n' >> \"$1\"\nstty size > \"$HOME/.editor-saw\" 2>&1\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// The workshop's class view hears every learner's checks, each under
	// the learner's name, through one publisher for the room.
	place := classroom.PlaceAt("local", cl.Endpoints())
	class := "ssh-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	pub, err := classroom.NewPublisher(classroom.PublisherOptions{Class: class, Place: &place})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close(context.Background()) })
	ts := startServer(t, Options{
		Allow: allow, Passcode: "open-sesame", MaxChecks: 1, Editor: []string{editor},
		Clusters: map[containers.Kind]Cluster{containers.Kafka: {Cluster: cl, Provider: "local"}},
		Session:  func(_ string, o *course.Options) { pub.Attach(o) },
	})

	// An unknown key is refused: with no passcode to give, or a wrong one.
	stranger := newKey(t)
	if l, err := dial(t, ts.addr, "eve", stranger, nil, 80, 24); err == nil {
		l.close()
		t.Fatal("an unknown key got a session")
	}
	if l, err := dial(t, ts.addr, "eve", stranger, answers("guess", "eve"), 80, 24); err == nil {
		l.close()
		t.Fatal("a wrong passcode got a session")
	}

	learners := map[string]*learner{}
	for _, name := range []string{"ada", "bob", "cy"} {
		l, err := dial(t, ts.addr, name, keys[name], nil, 100, 40)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(l.close)
		learners[name] = l
	}
	for _, l := range learners {
		l.waitFor(30*time.Second, "Your course", "0 of")
	}
	// Their workspaces exist now; ada solved the exercise, the others
	// keep the starter.
	copySolution(t, ts.data, "ada", ex)

	// e runs the editor on bob's own file, in his SSH terminal.
	bob := learners["bob"]
	bob.openExercise(cat, exerciseID)
	bob.press("e")
	bobWS := workspace.New(LearnerPaths(ts.data, "bob").Workspace, streamlab.Content, workspace.Module{})
	bobFile := filepath.Join(bobWS.ExerciseDir(ex), ex.Files[0])
	waitFile(t, filepath.Join(bobWS.Root, ".editor-saw"), "40 100")
	if b, _ := os.ReadFile(bobFile); !strings.Contains(string(b), "// edited over ssh") {
		t.Fatalf("the editor did not edit %s", bobFile)
	}

	for _, name := range []string{"ada", "cy"} {
		learners[name].openExercise(cat, exerciseID)
	}
	// All press c at once; with one check at a time, two wait in line
	// and see their place.
	var wg sync.WaitGroup
	for _, l := range learners {
		wg.Go(func() { l.press("c") })
	}
	wg.Wait()
	sawLine := ""
	verdicts := map[string]string{"ada": "✓ passed · 8/8 points", "bob": "✗ not yet · 4/8 points", "cy": "✗ not yet · 4/8 points"}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		done := 0
		for name, l := range learners {
			scr := l.screen()
			if strings.Contains(scr, "in line") && sawLine == "" {
				sawLine = name + ": " + lineWith(scr, "in line")
			}
			if strings.Contains(scr, verdicts[name]) {
				done++
			}
		}
		if done == len(learners) {
			break
		}
		if time.Now().After(deadline) {
			for name, l := range learners {
				t.Logf("%s:\n%s", name, l.screen())
			}
			t.Fatal("not every learner got a verdict within 3 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	heard := map[string]classroom.Event{}
	reader, err := classroom.OpenReader(context.Background(), place, class)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	waitFor(t, 30*time.Second, "every learner's check on the class topic", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		b, _ := reader.Next(ctx)
		for _, e := range b.Events {
			heard[e.Learner] = e
		}
		return len(heard) == len(learners)
	})
	for name, want := range map[string]string{"ada": "pass", "bob": "fail", "cy": "fail"} {
		if e := heard[name]; e.Exercise != exerciseID || e.Status != want {
			t.Errorf("the class heard of %s: %+v; want %s on %s", name, e, want, exerciseID)
		}
	}
	if sawLine == "" {
		t.Error("with one check at a time, no learner saw their place in line")
	} else {
		t.Logf("seen while waiting: %s", sawLine)
	}
	for name, l := range learners {
		scr := l.screen()
		for other, v := range verdicts {
			if v != verdicts[name] && strings.Contains(scr, v) {
				t.Errorf("%s's screen shows %s's verdict %q:\n%s", name, other, v, scr)
			}
		}
	}

	// The runs' topics are kept for the inspector, each under its
	// learner's prefix; nothing of the exercise is on the cluster without
	// one.
	slug := "-sl-" + ex.Slug + "-"
	all := topicsOf(t, cl, "sl-"+ex.Slug+"-")
	for name, l := range learners {
		own := topicsOf(t, cl, name+slug)
		if len(own) != 1 {
			t.Errorf("%s has %d topics of %s on the cluster (%v), want the one kept run", name, len(own), ex.ID, own)
			continue
		}
		l.press("i")
		l.waitFor(30*time.Second, "topic "+own[0])
		l.press("esc")
	}
	for _, topic := range all {
		if !strings.HasPrefix(topic, "ada-") && !strings.HasPrefix(topic, "bob-") && !strings.HasPrefix(topic, "cy-") {
			t.Errorf("topic %s carries no learner's prefix", topic)
		}
	}

	// Progress and workspaces are each learner's own.
	for name, wantDone := range map[string]bool{"ada": true, "bob": false, "cy": false} {
		p := LearnerPaths(ts.data, name)
		st, err := progress.Open(filepath.Join(p.State, "progress.json"))
		if err != nil {
			t.Fatal(err)
		}
		got := st.Get(exerciseID)
		if got.Done != wantDone || got.Attempts != 1 {
			t.Errorf("%s's progress on %s: done %v after %d attempts; want done %v after 1", name, exerciseID, got.Done, got.Attempts, wantDone)
		}
		ws := workspace.New(p.Workspace, streamlab.Content, workspace.Module{})
		_, err = os.Stat(ws.SolutionDir(ex))
		if revealed := err == nil; revealed != wantDone {
			t.Errorf("%s's workspace has the solution revealed: %v; want %v", name, revealed, wantDone)
		}
		main, _ := os.ReadFile(filepath.Join(ws.ExerciseDir(ex), ex.Files[0]))
		if edited := strings.Contains(string(main), "// edited over ssh"); edited != (name == "bob") {
			t.Errorf("%s's %s edited over ssh: %v", name, ex.Files[0], edited)
		}
	}

	// A second connection of ada's replaces the first, which is told why;
	// she finds her progress; q ends her session and removes the topics
	// kept for her inspector.
	ada := learners["ada"]
	again, err := dial(t, ts.addr, "ada", keys["ada"], nil, 90, 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.close)
	ada.waitEnded(time.Minute)
	if !strings.Contains(ada.output(), "you connected again from elsewhere") {
		t.Errorf("the replaced connection was not told why it ended:\n%q", lastBytes(ada.output(), 400))
	}
	again.waitFor(30*time.Second, "Your course", "1 of")
	again.press("q")
	again.waitEnded(time.Minute)
	if left := topicsOf(t, cl, "ada"+slug); len(left) > 0 {
		t.Errorf("ada quit, but her runs' topics are still on the cluster: %v", left)
	}

	// cy opens an editor that never exits, then connects again from
	// elsewhere: the old connection ends, and its editor with it.
	cy := learners["cy"]
	cy.press("e")
	waitFor(t, time.Minute, "cy's editor to start", func() bool { return len(processesIn(LearnerPaths(ts.data, "cy").Root)) > 0 })
	cyAgain, err := dial(t, ts.addr, "cy", keys["cy"], nil, 100, 40)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cyAgain.close)
	cy.waitEnded(time.Minute)
	cyAgain.waitFor(30*time.Second, "Your course")
	waitFor(t, 30*time.Second, "cy's editor to stop", func() bool { return len(processesIn(LearnerPaths(ts.data, "cy").Root)) == 0 })

	// A new key registers with the passcode and a name of its own choice,
	// once; then the key alone lets it in.
	dee := newKey(t)
	if l, err := dial(t, ts.addr, "dee", dee, answers("open-sesame", "ada"), 80, 24); err == nil {
		l.close()
		t.Fatal("a new key registered under a name that is taken")
	}
	first, err := dial(t, ts.addr, "x", dee, answers("open-sesame", "dee"), 80, 24)
	if err != nil {
		t.Fatalf("registering: %v", err)
	}
	first.waitFor(30*time.Second, "Your course")
	first.press("q")
	first.waitEnded(time.Minute)
	first.close()
	back, err := dial(t, ts.addr, "x", dee, nil, 80, 24)
	if err != nil {
		t.Fatalf("a registered key, again: %v", err)
	}
	t.Cleanup(back.close)
	back.waitFor(30*time.Second, "Your course")
	if _, err := os.Stat(LearnerPaths(ts.data, "dee").Workspace); err != nil {
		t.Errorf("dee has no workspace of her own: %v", err)
	}
	reg, _ := os.ReadFile(filepath.Join(ts.data, "registered_keys"))
	if strings.Count(string(reg), "\n") != 1 || !strings.HasPrefix(string(reg), `name="dee" `) {
		t.Errorf("registered_keys holds:\n%s", reg)
	}
}

// waitFor waits until cond holds.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFile waits until a file holds text.
func waitFile(t testing.TB, file, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(file)
		if err == nil && strings.Contains(string(b), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q (%v), not %q", file, b, err, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lineWith(screen, part string) string {
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, part) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func lastBytes(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
